/*
 * weft-cni / weft-ipam as a CNI runtime execs them: a launcher that starts in about a
 * millisecond. When a weft daemon's API socket is reachable it hands the invocation (the
 * CNI_* variables and the configuration on stdin) to POST /weft/cni/<plugin>, prints the
 * answer and exits 0 (HTTP 200) or 1 (422, the spec's error object). Otherwise - no socket,
 * a daemon without CNI (404), a daemon in another network namespace (421), a connection
 * lost mid-way - it execs the Node plugin with the same stdin, which does the whole job
 * itself on the same state directory and lock (an ADD finds what a killed daemon left).
 *
 * The socket: $WEFT_CNI_DAEMON ("" or "none": never), else the configuration's
 * "weftDaemon" string, else /run/weft/weft.sock (the daemon's default --run-dir).
 * Built by scripts/build-launcher.mjs with PLUGIN_NAME, PLUGIN_SCRIPT (relative to this
 * executable's directory) and NODE_BIN defined.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#define DEFAULT_SOCKET "/run/weft/weft.sock"

struct buf { char *data; size_t len, cap; };

static void put(struct buf *b, const char *s, size_t n) {
  if (b->len + n + 1 > b->cap) {
    size_t cap = b->cap ? b->cap : 4096;
    while (cap < b->len + n + 1) cap *= 2;
    char *d = realloc(b->data, cap);
    if (!d) abort();
    b->data = d;
    b->cap = cap;
  }
  memcpy(b->data + b->len, s, n);
  b->len += n;
  b->data[b->len] = 0;
}

static void put_str(struct buf *b, const char *s) { put(b, s, strlen(s)); }

static int slurp(int fd, struct buf *b) {
  char chunk[65536];
  for (;;) {
    ssize_t n = read(fd, chunk, sizeof chunk);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return -1;
    if (n == 0) return 0;
    put(b, chunk, (size_t)n);
  }
}

static int write_all(int fd, const char *s, size_t n) {
  while (n) {
    ssize_t w = write(fd, s, n);
    if (w < 0 && errno == EINTR) continue;
    if (w < 0) return -1;
    s += w;
    n -= (size_t)w;
  }
  return 0;
}

/* The "weftDaemon" string of the configuration, found by a plain scan (no escapes). */
static int config_socket(const char *conf, char *out, size_t size) {
  const char *p = strstr(conf, "\"weftDaemon\"");
  if (!p) return 0;
  p += strlen("\"weftDaemon\"");
  while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r') p++;
  if (*p++ != ':') return 0;
  while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r') p++;
  if (*p++ != '"') return 0;
  const char *end = strchr(p, '"');
  if (!end || (size_t)(end - p) >= size || memchr(p, '\\', (size_t)(end - p))) return 0;
  memcpy(out, p, (size_t)(end - p));
  out[end - p] = 0;
  return 1;
}

static const char *socket_path(const char *conf, char *scratch, size_t size) {
  const char *env = getenv("WEFT_CNI_DAEMON");
  if (env) return (*env && strcmp(env, "none") != 0) ? env : NULL;
  if (config_socket(conf, scratch, size)) return scratch;
  return DEFAULT_SOCKET;
}

static const char *const VARS[][2] = {
  {"CNI_COMMAND", "Cni-Command"}, {"CNI_CONTAINERID", "Cni-Containerid"}, {"CNI_NETNS", "Cni-Netns"},
  {"CNI_IFNAME", "Cni-Ifname"}, {"CNI_ARGS", "Cni-Args"}, {"CNI_PATH", "Cni-Path"},
};

/* The HTTP request; 0 when a variable cannot travel in a header (the Node plugin then judges it). */
static int request(struct buf *req, const struct buf *conf) {
  char line[256];
  struct stat ns;
  if (stat("/proc/self/ns/net", &ns) != 0) return 0;
  snprintf(line, sizeof line, "POST /weft/cni/%s HTTP/1.1\r\nHost: weft\r\nConnection: close\r\n", PLUGIN_NAME);
  put_str(req, line);
  snprintf(line, sizeof line, "Content-Type: application/json\r\nContent-Length: %zu\r\nWeft-Netns-Inode: %lu\r\n",
           conf->len, (unsigned long)ns.st_ino);
  put_str(req, line);
  for (size_t i = 0; i < sizeof VARS / sizeof VARS[0]; i++) {
    const char *v = getenv(VARS[i][0]);
    if (!v) continue;
    if (strpbrk(v, "\r\n")) return 0;
    put_str(req, VARS[i][1]);
    put_str(req, ": ");
    put_str(req, v);
    put_str(req, "\r\n");
  }
  put_str(req, "\r\n");
  put(req, conf->data ? conf->data : "", conf->len);
  return 1;
}

/* Ask the daemon; the exit status to end with, or -1 to run the plugin here instead. */
static int ask_daemon(const char *path, const struct buf *conf) {
  struct sockaddr_un addr = {.sun_family = AF_UNIX};
  if (strlen(path) >= sizeof addr.sun_path) return -1;
  strcpy(addr.sun_path, path);
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  if (connect(fd, (struct sockaddr *)&addr, sizeof addr) != 0) {
    close(fd);
    return -1;
  }
  struct buf req = {0}, res = {0};
  int ok = request(&req, conf) && write_all(fd, req.data, req.len) == 0 && slurp(fd, &res) == 0;
  close(fd);
  int status = 0;
  char *body = ok && res.data ? strstr(res.data, "\r\n\r\n") : NULL;
  if (!body || sscanf(res.data, "HTTP/1.%*d %d", &status) != 1 || (status != 200 && status != 422)) return -1;
  body += 4;
  size_t n = res.len - (size_t)(body - res.data);
  if (write_all(1, body, n) != 0) return 1;
  return status == 200 ? 0 : 1;
}

/* Exec the Node plugin with the configuration already read from stdin as its stdin. */
static int run_node(const struct buf *conf) {
  char self[PATH_MAX], script[PATH_MAX + 64];
  ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
  if (n > 0) {
    self[n] = 0;
    char *slash = strrchr(self, '/');
    if (slash) *slash = 0;
    snprintf(script, sizeof script, "%s/%s", self, PLUGIN_SCRIPT);
    int mem = access(script, R_OK) == 0 ? memfd_create("weft-cni-stdin", 0) : -1;
    if (mem >= 0 && write_all(mem, conf->data ? conf->data : "", conf->len) == 0 && lseek(mem, 0, SEEK_SET) == 0 &&
        dup2(mem, 0) == 0) {
      execl(NODE_BIN, NODE_BIN, script, (char *)NULL);
    }
  }
  printf("{\"cniVersion\":\"1.1.0\",\"code\":5,\"msg\":\"%s: no daemon answered and cannot run the plugin %s with %s: %s\"}\n",
         PLUGIN_NAME, PLUGIN_SCRIPT, NODE_BIN, strerror(errno));
  return 1;
}

int main(void) {
  struct buf conf = {0};
  if (slurp(0, &conf) != 0) conf.len = 0;
  char scratch[sizeof(((struct sockaddr_un *)0)->sun_path)];
  const char *path = socket_path(conf.data ? conf.data : "", scratch, sizeof scratch);
  if (path) {
    int code = ask_daemon(path, &conf);
    if (code >= 0) return code;
  }
  return run_node(&conf);
}
