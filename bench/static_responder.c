// The floor for a registry's small GETs on this machine: an HTTP/1.1 keep-alive server that
// answers every request with the same prepared response (a manifest-sized body), on one epoll
// thread per core, with the socket options kiln's registry uses (SO_REUSEPORT listeners,
// TCP_NODELAY). No parsing beyond finding the end of each request's header.
// Usage: static_responder PORT BODY_BYTES THREADS
#define _GNU_SOURCE
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

static char response[8192];
static size_t response_len;
static int port;

struct conn {
  int fd;
  size_t have;
  char buf[16384];
};

static void* serve(void* arg) {
  (void)arg;
  int ls = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0), one = 1;
  setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  setsockopt(ls, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one);
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port),
                          .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  if (bind(ls, (struct sockaddr*)&a, sizeof a) || listen(ls, 4096)) { perror("listen"); exit(1); }
  int ep = epoll_create1(0);
  struct epoll_event ev = {.events = EPOLLIN, .data.ptr = NULL};
  epoll_ctl(ep, EPOLL_CTL_ADD, ls, &ev);
  struct epoll_event evs[256];
  for (;;) {
    int n = epoll_wait(ep, evs, 256, -1);
    for (int i = 0; i < n; ++i) {
      struct conn* c = evs[i].data.ptr;
      if (!c) {
        int fd;
        while ((fd = accept4(ls, NULL, NULL, SOCK_NONBLOCK)) >= 0) {
          setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
          struct conn* nc = calloc(1, sizeof *nc);
          nc->fd = fd;
          struct epoll_event e = {.events = EPOLLIN, .data.ptr = nc};
          epoll_ctl(ep, EPOLL_CTL_ADD, fd, &e);
        }
        continue;
      }
      ssize_t r = read(c->fd, c->buf + c->have, sizeof c->buf - c->have - 1);
      if (r <= 0) {
        close(c->fd);
        free(c);
        continue;
      }
      c->have += (size_t)r;
      c->buf[c->have] = 0;
      char* end;
      while ((end = strstr(c->buf, "\r\n\r\n"))) {  // one response per complete request
        if (write(c->fd, response, response_len) < 0) break;
        size_t used = (size_t)(end + 4 - c->buf);
        memmove(c->buf, c->buf + used, c->have - used + 1);
        c->have -= used;
      }
    }
  }
  return NULL;
}

int main(int argc, char** argv) {
  if (argc != 4) { fprintf(stderr, "usage: static_responder PORT BODY_BYTES THREADS\n"); return 2; }
  port = atoi(argv[1]);
  int body = atoi(argv[2]), threads = atoi(argv[3]);
  if (body < 0 || body > 4096 || threads < 1) return 2;
  response_len = (size_t)snprintf(response, sizeof response,
                                  "HTTP/1.1 200 OK\r\nContent-Type: application/vnd.oci.image.manifest.v1+json\r\n"
                                  "Docker-Content-Digest: sha256:%064d\r\nContent-Length: %d\r\n\r\n", 0, body);
  memset(response + response_len, '{', (size_t)body);
  response_len += (size_t)body;
  pthread_t t[64];
  for (int i = 0; i < threads && i < 64; ++i) pthread_create(&t[i], NULL, serve, NULL);
  pthread_join(t[0], NULL);
  return 0;
}
