// Internal to sandbox/: kiln's side of a running sandbox. Blocks the forwarded signals while it
// waits, relays them to the child, copies between a pseudo-terminal and kiln's stdio, and
// collects the exit status and the child's failure report.
#pragma once

#include <sys/types.h>

#include <atomic>
#include <string>

#include "kiln/base/error.hpp"

namespace kiln::sandbox::detail {

// Blocks the forwarded signals and SIGCHLD in the calling thread for its lifetime.
class SignalBlock {
 public:
  SignalBlock();
  ~SignalBlock();
  SignalBlock(const SignalBlock&) = delete;
  SignalBlock& operator=(const SignalBlock&) = delete;
  int fd() const { return m_fd; }

 private:
  sigset_t m_old{};
  int m_fd = -1;
};

struct Waited {
  int exit_code = 0;
  bool interrupted = false;  // kill_on_interrupt and SIGINT/SIGTERM arrived
  std::string report;        // what the children wrote to the report pipe
};

// Waits for `child` while relaying signals from `signals` and, when tty_master >= 0, the
// terminal (kiln's stdin to the master, the master to kiln's stdout). report_fd is read to
// its end.
Result<Waited> wait_child(pid_t child, const SignalBlock& signals, int report_fd, int tty_master,
                          bool kill_on_interrupt = false,
                          const std::atomic<bool>* cancel = nullptr);

// Gives the terminal behind `master` the size of kiln's own terminal (stdin).
void copy_winsize(int master);

}  // namespace kiln::sandbox::detail
