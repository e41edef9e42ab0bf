// kiln-init: a minimal PID 1 for containers run by an OCI runtime (`kiln run --runtime runc`),
// so that they behave as under kiln's built-in executor: it starts the command, forwards
// signals to it, reaps every zombie, and exits with the command's status (128+N when killed by
// signal N), and it dies with the runtime process. Statically linked: it is bind-mounted into
// images that have no C library.
//
// Usage: kiln-init -- CMD [ARG...]   (CMD is looked up in PATH)
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kiln/sandbox/reaper.hpp"

namespace {

const int k_forwarded[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGWINCH};

void noop(int) {}

}  // namespace

int main(int argc, char** argv) {
  int first = 1;
  if (first < argc && strcmp(argv[first], "--") == 0) ++first;
  if (first >= argc) {
    fprintf(stderr, "kiln-init: usage: kiln-init -- CMD [ARG...]\n");
    return 125;
  }
  // The runtime that started us is our parent: when it dies (kiln was killed), so does the
  // container (PID 1 exiting ends the PID namespace).
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  sigset_t set, old;
  sigemptyset(&set);
  for (int s : k_forwarded) sigaddset(&set, s);
  sigaddset(&set, SIGCHLD);
  // As PID 1, a signal without a handler is dropped by the kernel: install one, keep it blocked
  // and take signals with sigwaitinfo.
  struct sigaction sa {};
  sa.sa_handler = noop;
  for (int s : k_forwarded) sigaction(s, &sa, nullptr);
  sigprocmask(SIG_BLOCK, &set, &old);
  pid_t child = fork();
  if (child < 0) {
    perror("kiln-init: fork");
    return 125;
  }
  if (child == 0) {
    for (int s : k_forwarded) signal(s, SIG_DFL);
    sigprocmask(SIG_SETMASK, &old, nullptr);
    setsid();
    execvp(argv[first], argv + first);
    int err = errno;
    if (err == ENOENT)
      fprintf(stderr, "kiln: exec: \"%s\": executable file not found in $PATH\n", argv[first]);
    else
      fprintf(stderr, "kiln: exec: \"%s\": %s\n", argv[first], strerror(err));
    _exit(err == ENOENT ? 127 : 126);
  }
  return kiln::sandbox::reap_until_exit(child, set);
}
