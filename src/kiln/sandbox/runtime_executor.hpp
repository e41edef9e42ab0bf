// The OCI runtime executor: writes a runtime-spec bundle (config.json + rootfs) into the
// state directory and runs `runc run` or `crun run` on it, for users who trust their runtime.
//
// A helper process unshares a mount namespace, mounts the root filesystem there (so no mount
// ever reaches kiln's namespace), resolves the user from the image's /etc/passwd, writes
// config.json and execs the runtime with its state under state_dir/runtime. The runtime relays
// signals and the terminal; kiln relays signals to it. cleanup_runtime() removes what a killed
// kiln left with the runtime.
#pragma once

#include "kiln/sandbox/spec.hpp"

namespace kiln::sandbox {

class RuntimeExecutor final : public Executor {
 public:
  // runtime: "runc" or "crun" (looked up in PATH) or a path to a compatible binary.
  explicit RuntimeExecutor(std::string runtime) : m_runtime(std::move(runtime)) {}
  std::string_view name() const override { return m_runtime; }
  Result<Outcome> run(const SandboxSpec& spec, const Stdio& stdio) override;

 private:
  std::string m_runtime;
};

// Force-deletes container `id` from the runtime state kept in state_dir (after a crash).
void cleanup_runtime(const std::string& runtime, const std::string& state_dir,
                     const std::string& id);

// Looks a program up in PATH; "" when it is not there.
std::string find_program(const std::string& name);
// A program that ships with kiln (kiln-init, kiln-registry): next to the kiln binary (build
// tree and install), in ../libexec/kiln/ beside it, or in PATH; "" when none is found.
std::string find_helper(const std::string& name);

}  // namespace kiln::sandbox
