// Minimal local declarations for the parts of dns-packet (5.x) that weft uses;
// the package ships no types and @types/dns-packet is not installed.
declare module 'dns-packet' {
  namespace dnsPacket {
    interface Question {
      name: string;
      type: string;
      class?: string;
    }
    interface Answer {
      name: string;
      type: string;
      class?: string;
      ttl?: number;
      flush?: boolean;
      data?: unknown;
      /** OPT pseudo-record only. */
      udpPayloadSize?: number;
      extendedRcode?: number;
      ednsVersion?: number;
      flags?: number;
      options?: unknown[];
    }
    interface Packet {
      id?: number;
      type?: 'query' | 'response';
      /** The 15 low bits of the header flags word (opcode and rcode included). */
      flags?: number;
      flag_qr?: boolean;
      opcode?: string;
      flag_aa?: boolean;
      flag_tc?: boolean;
      flag_rd?: boolean;
      flag_ra?: boolean;
      flag_z?: boolean;
      flag_ad?: boolean;
      flag_cd?: boolean;
      rcode?: string;
      questions?: Question[];
      answers?: Answer[];
      authorities?: Answer[];
      additionals?: Answer[];
    }
    interface Codec<T> {
      encode(value: T, buf?: Buffer, offset?: number): Buffer;
      decode(buf: Buffer, offset?: number): T;
      encodingLength(value: T): number;
    }
    type WithBytes<F> = F & { bytes: number };
    interface TrackedCodec<T> {
      encode: WithBytes<(value: T, buf?: Buffer, offset?: number) => Buffer>;
      decode: WithBytes<(buf: Buffer, offset?: number) => T>;
      encodingLength(value: T): number;
    }
  }
  const dnsPacket: {
    encode: dnsPacket.WithBytes<(packet: dnsPacket.Packet, buf?: Buffer, offset?: number) => Buffer>;
    decode: dnsPacket.WithBytes<(buf: Buffer, offset?: number) => dnsPacket.Packet>;
    encodingLength(packet: dnsPacket.Packet): number;
    streamEncode(packet: dnsPacket.Packet): Buffer;
    streamDecode(buf: Buffer): dnsPacket.Packet | null;
    name: dnsPacket.TrackedCodec<string>;
    question: dnsPacket.TrackedCodec<dnsPacket.Question>;
    answer: dnsPacket.TrackedCodec<dnsPacket.Answer>;
    /** RDATA codecs: encode() writes the 2-byte RDLENGTH followed by the data. */
    a: dnsPacket.Codec<string>;
    aaaa: dnsPacket.Codec<string>;
    ptr: dnsPacket.Codec<string>;
    AUTHORITATIVE_ANSWER: number;
    TRUNCATED_RESPONSE: number;
    RECURSION_DESIRED: number;
    RECURSION_AVAILABLE: number;
    AUTHENTIC_DATA: number;
    CHECKING_DISABLED: number;
    DNSSEC_OK: number;
  };
  export = dnsPacket;
}
