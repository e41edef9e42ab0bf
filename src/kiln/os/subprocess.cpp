#include "kiln/os/subprocess.hpp"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fmt/format.h>

#include <utility>

#include "kiln/os/dir.hpp"

extern char** environ;

namespace kiln::os {
namespace {

// Pipe ends, each closed when it goes out of scope.
Result<std::pair<Fd, Fd>> make_pipe() {
  int p[2];
  if (::pipe2(p, O_CLOEXEC) != 0) return fail_errno("pipe");
  return std::pair{Fd(p[0]), Fd(p[1])};
}

int wait_status(pid_t pid) {
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return 255;
}

}  // namespace

Result<Subprocess> Subprocess::spawn(const std::vector<std::string>& argv) {
  if (argv.empty()) return fail(Errc::invalid_argument, "spawn: no program");
  auto [in_r, in_w] = KILN_TRY(make_pipe());
  auto [out_r, out_w] = KILN_TRY(make_pipe());
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_adddup2(&fa, in_r.get(), 0);
  posix_spawn_file_actions_adddup2(&fa, out_w.get(), 1);
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  pid_t pid = 0;
  int rc = posix_spawnp(&pid, argv[0].c_str(), &fa, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&fa);
  if (rc != 0) return fail_errno(fmt::format("run {}", argv[0]), rc);
  return Subprocess(pid, std::move(in_w), std::move(out_r));  // the child's ends close here
}

Subprocess::Subprocess(Subprocess&& o) noexcept
    : m_pid(std::exchange(o.m_pid, -1)), m_in(std::move(o.m_in)), m_out(std::move(o.m_out)) {}

Subprocess::~Subprocess() {
  m_in.reset();
  m_out.reset();
  if (m_pid > 0) {
    ::kill(m_pid, SIGKILL);
    (void)wait_status(m_pid);
  }
}

Result<Subprocess::Finished> Subprocess::communicate(const std::string& input) {
  // A child that exits without reading its stdin must not kill us with SIGPIPE.
  struct sigaction ignore {
  }, old{};
  ignore.sa_handler = SIG_IGN;
  ::sigaction(SIGPIPE, &ignore, &old);
  (void)write_all(m_in.get(), input.data(), input.size());
  ::sigaction(SIGPIPE, &old, nullptr);
  m_in.reset();
  auto out = read_fd(m_out.get());
  m_out.reset();
  Finished f;
  f.exit_code = wait_status(std::exchange(m_pid, -1));
  if (!out) return std::unexpected(out.error());
  f.out = std::move(*out);
  return f;
}

}  // namespace kiln::os
