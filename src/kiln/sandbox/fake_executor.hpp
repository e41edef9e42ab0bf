// An Executor that runs nothing: it records every SandboxSpec it is given and answers with
// what its script says. Tests of the builder and of `kiln run` use it to check the plan (the
// command, environment, user, working directory and mounts a step would run with), cache hits
// and misses, and failure paths, without root, namespaces or a shell in the image.
// Thread-safe (stages of a build run on several threads).
#pragma once

#include <fcntl.h>
#include <unistd.h>

#include <functional>
#include <mutex>
#include <string>
#include <vector>

#include "kiln/sandbox/spec.hpp"

namespace kiln::sandbox {

class FakeExecutor final : public Executor {
 public:
  // What a run does: write into the tree (changes()), print (to stdio.out), and say how it
  // ended. The default script exits 0 and changes nothing.
  using Script = std::function<Result<Outcome>(const SandboxSpec&, const Stdio&)>;

  explicit FakeExecutor(Script script = {}) : m_script(std::move(script)) {}
  std::string_view name() const override { return "fake"; }
  Result<Outcome> run(const SandboxSpec& spec, const Stdio& stdio) override {
    {
      std::lock_guard lk(m_mu);
      m_runs.push_back(spec);
    }
    if (!m_script) return Outcome{};
    return m_script(spec, stdio);
  }

  // The specs run so far, in order.
  std::vector<SandboxSpec> runs() const {
    std::lock_guard lk(m_mu);
    return m_runs;
  }
  // The runs' commands' last argument (the shell script of a shell-form RUN).
  std::vector<std::string> scripts() const {
    std::vector<std::string> out;
    for (const auto& s : runs()) out.push_back(s.args.empty() ? "" : s.args.back());
    return out;
  }

  // Where a run's writes land: the overlay's upper dir, or the plain directory (copy mode).
  static std::string changes(const SandboxSpec& spec) {
    return spec.rootfs.overlay() ? spec.rootfs.upper : spec.rootfs.dir;
  }
  // Writes `content` to `name` (a file name, no directories) at the root of the run's tree.
  static bool write_file(const SandboxSpec& spec, const std::string& name,
                         const std::string& content) {
    std::string path = changes(spec) + "/" + name;
    int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) return false;
    bool ok = ::write(fd, content.data(), content.size()) == static_cast<ssize_t>(content.size());
    ::close(fd);
    return ok;
  }

 private:
  Script m_script;
  mutable std::mutex m_mu;
  std::vector<SandboxSpec> m_runs;
};

}  // namespace kiln::sandbox
