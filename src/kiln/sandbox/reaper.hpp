// PID 1's duty, shared by the built-in executor's init and the static kiln-init binary (so it
// uses the C library only): wait for `child`, forward every signal in `set` except SIGCHLD to
// it, reap every other process the namespace hands over, and return the child's status as a
// shell reports it (128+N when killed by signal N). The signals in `set` must be blocked.
#pragma once

#include <signal.h>
#include <sys/types.h>
#include <sys/wait.h>

namespace kiln::sandbox {

inline int reap_until_exit(pid_t child, const sigset_t& set) {
  while (true) {
    siginfo_t info{};
    int sig = sigwaitinfo(&set, &info);
    if (sig < 0) continue;
    if (sig != SIGCHLD) {
      kill(child, sig);
      continue;
    }
    int status = 0;
    pid_t p;
    while ((p = waitpid(-1, &status, WNOHANG)) > 0)
      if (p == child) return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  }
}

}  // namespace kiln::sandbox
