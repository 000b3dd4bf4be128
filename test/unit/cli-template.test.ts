/**
 * The Go template engine behind --format, against the examples in Docker's documentation
 * (docker inspect, docker ps, "Format command and log output") and text/template's rules.
 */
import { describe, expect, it } from 'vitest';
import { formatInspect, formatList, type ListSpec } from '../../src/cli/format/list.js';
import { renderTemplate } from '../../src/cli/format/template/index.js';

const container = {
  Id: 'f2d1a6bc0e79',
  Name: '/web',
  Args: ['-f', '-p', '80'],
  Config: { Image: 'busybox', Labels: { 'com.example.vendor': 'ACME', 'com.example.version': '1.0' } },
  State: { Status: 'running', Running: true, ExitCode: 0 },
  LogPath: '/var/lib/weft/containers/f2d1a6bc0e79/log.json',
  Mounts: [{ Source: '/srv/a' }, { Source: '/srv/b' }],
  NetworkSettings: {
    Networks: {
      zeta: { IPAddress: '10.0.1.2', MacAddress: '02:42:0a:00:01:02' },
      alpha: { IPAddress: '10.0.0.2', MacAddress: '02:42:0a:00:00:02' },
    },
    Ports: { '80/tcp': [{ HostIp: '0.0.0.0', HostPort: '8080' }], '443/tcp': [{ HostIp: '0.0.0.0', HostPort: '8443' }] },
  },
};

describe("Docker documentation's --format examples", () => {
  const cases: [string, string][] = [
    ['{{.Name}}', '/web'],
    ['{{json .Config}}', '{"Image":"busybox","Labels":{"com.example.vendor":"ACME","com.example.version":"1.0"}}'],
    ['{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}', '10.0.0.210.0.1.2'],
    ['{{range .NetworkSettings.Networks}}{{.MacAddress}} {{end}}', '02:42:0a:00:00:02 02:42:0a:00:01:02 '],
    ['{{(index (index .NetworkSettings.Ports "80/tcp") 0).HostPort}}', '8080'],
    ['{{range $p, $conf := .NetworkSettings.Ports}} {{$p}} -> {{(index $conf 0).HostPort}} {{end}}', ' 443/tcp -> 8443  80/tcp -> 8080 '],
    ['{{if .State.Running}}up{{else}}down{{end}}', 'up'],
    ['{{.LogPath}}', '/var/lib/weft/containers/f2d1a6bc0e79/log.json'],
    ['{{range .Mounts}}{{.Source}} {{end}}', '/srv/a /srv/b '],
    ['{{range $key, $value := .Config.Labels}}{{$key}}={{$value}} {{end}}', 'com.example.vendor=ACME com.example.version=1.0 '],
    ['{{join .Args " , "}}', '-f , -p , 80'],
    ['{{upper .Config.Image}} {{lower "ABC"}} {{title "hello docker"}}', 'BUSYBOX abc Hello Docker'],
    ['{{split "a:b:c" ":"}}', '[a b c]'],
    ['{{pad .Config.Image 2 1}}|', '  busybox |'],
    ['{{truncate .Id 4}}', 'f2d1'],
    ['{{len .Args}} {{len .Name}}', '3 4'],
    ['{{printf "%s is %d" .Config.Image 3}}', 'busybox is 3'],
    ['{{println .Name}}', '/web\n'],
    ['{{.State.Status | upper}}', 'RUNNING'],
    ['{{index .Config.Labels "com.example.vendor"}}', 'ACME'],
  ];
  for (const [tpl, want] of cases) it(tpl, () => expect(renderTemplate(tpl, container)).toBe(want));

  it('inspect -f renders per object', () => {
    expect(formatInspect([container, container], '{{range .NetworkSettings.Networks}}{{.IPAddress}} {{end}}'))
      .toBe('10.0.0.2 10.0.1.2 \n10.0.0.2 10.0.1.2 \n');
  });

  it('table {{.ID}}\\t{{.Name}} has a header row and aligned columns', () => {
    const spec: ListSpec = { columns: [{ field: 'ID', header: 'NETWORK ID' }, { field: 'Name', header: 'NAME' }], idField: 'ID' };
    const rows = [{ ID: 'abc123', Name: 'bridge' }, { ID: 'def456', Name: 'host' }];
    expect(formatList(rows, spec, { format: 'table {{.ID}}\\t{{.Name}}' }))
      .toBe('NETWORK ID   NAME\nabc123       bridge\ndef456       host\n');
    expect(formatList(rows, spec, { format: 'table {{.Name}}\\t{{if eq .Name "host"}}yes{{else}}no{{end}}' }))
      .toBe('NAME      no\nbridge    no\nhost      yes\n');
  });
});

describe('text/template semantics', () => {
  const cases: [string, unknown, string][] = [
    ['{{if eq .S "a"}}A{{else if eq .S "b"}}B{{else}}C{{end}}', { S: 'b' }, 'B'],
    ['{{if .M}}full{{else}}empty{{end}} {{if .L}}x{{else}}none{{end}} {{if 0}}t{{else}}f{{end}}', { M: {}, L: [] }, 'empty none f'],
    ['{{with .C}}{{.Image}}{{end}}{{with .Nope}}x{{else}}-{{end}}', { C: { Image: 'i' } }, 'i-'],
    ['{{with $x := .C}}{{$x.Image}}{{end}}', { C: { Image: 'i' } }, 'i'],
    ['{{range .L}}{{.}}{{else}}nothing{{end}}', { L: [] }, 'nothing'],
    ['{{range .M}}{{.}}{{end}}', { M: { b: 2, a: 1, c: 3 } }, '123'],
    ['{{range $i, $e := .L}}{{if $i}}, {{end}}{{$i}}:{{$e}}{{end}}', { L: ['x', 'y'] }, '0:x, 1:y'],
    ['{{range $v := .L}}{{$v}}{{$.T}}{{end}}', { L: [1, 2], T: '!' }, '1!2!'],
    ['{{range .L}}{{if eq . 3}}{{break}}{{end}}{{if eq . 1}}{{continue}}{{end}}{{.}}{{end}}', { L: [1, 2, 3, 4] }, '2'],
    ['{{range 3}}{{.}}{{end}}', {}, '012'],
    ['{{$x := "a"}}{{if true}}{{$x = "b"}}{{end}}{{$x}}', {}, 'b'],
    ['{{and .A .B}} {{or .A .B}} {{not .A}} {{and 1 2}}', { A: 0, B: 'x' }, '0 x true 2'],
    ['{{or .A (index .Missing "k")}}', { A: 'set' }, 'set'],
    ['{{lt 1 2}} {{le 2 2}} {{gt "b" "a"}} {{ge 1 2}} {{ne .S "x"}} {{eq .S "y" "z"}}', { S: 'z' }, 'true true true false true true'],
    ['{{printf "%-6s|%4d|%v|%q|%05.1f|%x|%%" "ab" 7 true "q" 3.14159 255}}', {}, 'ab    |   7|true|"q"|003.1|ff|%'],
    ['{{printf "%d" "x"}} {{printf "%s"}} {{printf "a" 1}}', {}, '%!d(string=x) %!s(MISSING) a%!(EXTRA int=1)'],
    ['{{print "a" 1 2 "b"}} {{print .Missing}} {{printf "%v" .Missing}}', {}, 'a1 2b <nil> <nil>'],
    ['{{with .A}}a{{else with .B}}{{.}}{{else}}none{{end}}', { B: 'b' }, 'b'],
    ['{{"a" | printf "%s-%s" "b"}}', {}, 'b-a'],
    ['{{(printf "%s" .N) | len}}', { N: 'four' }, '4'],
    ['{{`raw \\n`}} {{"esc\\t."}} {{1.5}} {{-2}} {{0x10}} {{true}}', {}, 'raw \\n esc\t. 1.5 -2 16 true'],
    ['a  {{- "b" -}}  c {{- /* comment */ -}} d', {}, 'abcd'],
    ['{{.A.B.C}} {{.Nil}} {{.Missing.X}}', { A: { B: { C: 'deep' } }, Nil: null }, 'deep <nil> <no value>'],
    ['{{.constructor}}', {}, '<no value>'],
    ['{{printf "%s" "}}"}}', {}, '}}'],
  ];
  for (const [tpl, data, want] of cases) it(tpl, () => expect(renderTemplate(tpl, data)).toBe(want));

  it('reports errors in Go\'s words', () => {
    const err = (tpl: string) => () => renderTemplate(tpl, { A: 1 });
    expect(err('{{nosuch .X}}')).toThrow('template: function "nosuch" not defined');
    expect(err('{{.X')).toThrow('unclosed action');
    expect(err('{{end}}')).toThrow('unexpected {{end}}');
    expect(err('{{if .A}}x')).toThrow('unexpected EOF');
    expect(err('{{$nope}}')).toThrow('undefined variable "$nope"');
    expect(err('{{.A 1}}')).toThrow("can't give argument to non-function .A");
    expect(err('{{len}}')).toThrow('wrong number of args for len: want 1 got 0');
    expect(err('{{lt 1 "a"}}')).toThrow('error calling lt: incompatible types for comparison');
    expect(err('{{range "s"}}{{end}}')).toThrow("range can't iterate over s");
    expect(err('{{break}}')).toThrow('{{break}} outside {{range}}');
    expect(err('{{template "x"}}')).toThrow('"template" is not supported');
    expect(err('{{with .A}}{{else if .A}}{{end}}')).toThrow('unexpected tokens after else');
  });
});
