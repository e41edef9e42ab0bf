// A child process that owns what it holds: its pid and the host ends of its stdin and stdout
// pipes. Destroying a Subprocess that was not waited for kills and reaps it, so an early
// return never leaves a zombie or an open pipe behind.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

#include "kiln/base/error.hpp"
#include "kiln/base/fd.hpp"

namespace kiln::os {

class Subprocess {
 public:
  // Starts argv[0] (looked up in PATH) with pipes for stdin and stdout; stderr is inherited.
  static Result<Subprocess> spawn(const std::vector<std::string>& argv);
  Subprocess(Subprocess&& o) noexcept;
  Subprocess& operator=(Subprocess&&) = delete;
  Subprocess(const Subprocess&) = delete;
  ~Subprocess();

  struct Finished {
    int exit_code = 0;  // 128+N when killed by signal N
    std::string out;    // everything it wrote to stdout
  };
  // Writes `input` to its stdin and closes it, reads its stdout to the end, and waits.
  Result<Finished> communicate(const std::string& input);

 private:
  Subprocess(pid_t pid, Fd in, Fd out) : m_pid(pid), m_in(std::move(in)), m_out(std::move(out)) {}
  pid_t m_pid = -1;  // -1 once reaped
  Fd m_in, m_out;
};

}  // namespace kiln::os
