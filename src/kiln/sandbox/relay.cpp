#include "kiln/sandbox/relay.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include "kiln/os/dir.hpp"
#include "kiln/sandbox/child.hpp"

namespace kiln::sandbox::detail {

SignalBlock::SignalBlock() {
  sigset_t set;
  sigemptyset(&set);
  for (int s : forwarded_signals()) sigaddset(&set, s);
  sigaddset(&set, SIGCHLD);
  pthread_sigmask(SIG_BLOCK, &set, &m_old);
  m_fd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
}

SignalBlock::~SignalBlock() {
  if (m_fd >= 0) close(m_fd);
  // Signals that arrived meanwhile were relayed; do not deliver them to kiln afterwards.
  sigset_t pending;
  sigpending(&pending);
  struct timespec zero {};
  for (int s : forwarded_signals())
    if (sigismember(&pending, s)) {
      sigset_t one;
      sigemptyset(&one);
      sigaddset(&one, s);
      sigtimedwait(&one, nullptr, &zero);
    }
  pthread_sigmask(SIG_SETMASK, &m_old, nullptr);
}

namespace {

class RawTerminal {
 public:
  RawTerminal() {
    if (!isatty(0) || tcgetattr(0, &m_old) != 0) return;
    struct termios raw = m_old;
    cfmakeraw(&raw);
    m_active = tcsetattr(0, TCSANOW, &raw) == 0;
  }
  ~RawTerminal() {
    if (m_active) tcsetattr(0, TCSANOW, &m_old);
  }

 private:
  struct termios m_old {};
  bool m_active = false;
};

// Copies what is readable now; false at EOF or error.
bool pump(int from, int to) {
  char buf[16384];
  ssize_t n = read(from, buf, sizeof buf);
  if (n <= 0) return n < 0 && (errno == EAGAIN || errno == EINTR);
  return os::write_all(to, buf, static_cast<size_t>(n)).has_value();
}

}  // namespace

void copy_winsize(int master) {
  struct winsize ws {};
  if (ioctl(0, TIOCGWINSZ, &ws) == 0) ioctl(master, TIOCSWINSZ, &ws);
}

Result<Waited> wait_child(pid_t child, const SignalBlock& signals, int report_fd, int tty_master,
                          bool kill_on_interrupt, const std::atomic<bool>* cancel) {
  std::optional<RawTerminal> raw;
  if (tty_master >= 0) raw.emplace();
  bool stdin_open = tty_master >= 0;
  bool master_open = tty_master >= 0;
  int terminations = 0;
  Waited w;
  bool exited = false;
  // A pidfd tells this thread that its own child exited (SIGCHLD may be read by another
  // thread's signalfd when several sandboxes run at once).
  Fd pidfd(static_cast<int>(syscall(SYS_pidfd_open, child, 0)));
  while (!exited || master_open) {
    struct pollfd fds[4] = {{signals.fd(), POLLIN, 0},
                            {master_open ? tty_master : -1, POLLIN, 0},
                            {stdin_open ? 0 : -1, POLLIN, 0},
                            {exited ? -1 : pidfd.get(), POLLIN, 0}};
    int timeout = exited ? 200 : (pidfd.valid() && !cancel ? -1 : 100);  // after exit, drain
    if (cancel && *cancel && !exited && !w.interrupted) {
      w.interrupted = true;
      kill(child, SIGKILL);
    }
    int n = poll(fds, 4, timeout);
    if (n < 0 && errno == EINTR) continue;
    if (n == 0 && exited) break;
    if (fds[1].revents & (POLLIN | POLLHUP | POLLERR)) master_open = pump(tty_master, 1);
    if (fds[2].revents & (POLLIN | POLLHUP | POLLERR)) stdin_open = pump(0, tty_master);
    struct signalfd_siginfo si {};
    while ((fds[0].revents & POLLIN) && read(signals.fd(), &si, sizeof si) == sizeof si) {
      int sig = static_cast<int>(si.ssi_signo);
      if (sig == SIGCHLD) continue;
      if (sig == SIGWINCH) {
        if (tty_master >= 0) copy_winsize(tty_master);
        continue;
      }
      if (sig == SIGINT || sig == SIGTERM) {
        ++terminations;
        if (kill_on_interrupt) {
          w.interrupted = true;
          kill(child, SIGKILL);
          continue;
        }
      }
      kill(child, terminations > 1 ? SIGKILL : sig);
    }
    int status = 0;
    if (!exited && waitpid(child, &status, WNOHANG) == child) {
      exited = true;
      w.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    }
  }
  if (!exited) {
    int status = 0;
    while (waitpid(child, &status, 0) < 0 && errno == EINTR) {
    }
    w.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  }
  w.report = KILN_TRY(os::read_fd(report_fd));
  return w;
}

}  // namespace kiln::sandbox::detail
