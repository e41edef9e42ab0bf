// `kiln run`: an image from the store, combined with docker-run options into a SandboxSpec,
// run by an Executor in a container kept under containers/<id>/ (removed afterwards with rm).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "kiln/container/containers.hpp"
#include "kiln/sandbox/spec.hpp"
#include "kiln/store/image_view.hpp"

namespace kiln::container {

struct RunOptions {
  std::string image;
  std::vector<std::string> args;          // replaces the image's Cmd when not empty
  std::optional<std::string> entrypoint;  // replaces the image's Entrypoint ("" clears it)
  std::vector<std::string> env;           // "K=V", or "K" to take K from kiln's environment
  std::vector<std::string> env_files;
  std::vector<std::string> volumes;  // HOST:CTR[:ro|rw]
  std::vector<std::string> tmpfs;    // CTR[:OPTIONS]
  std::string workdir, user, hostname;
  sandbox::Network network = sandbox::Network::none;
  bool tty = false, interactive = false, readonly = false, remove = false;
  bool user_namespace = false;  // --userns private
  std::vector<std::string> cap_add, cap_drop;
  std::string runtime = "builtin";
};

// The command docker would run: Entrypoint + Cmd with the overrides applied.
Result<std::vector<std::string>> effective_command(const oci::ContainerConfig& config,
                                                   const RunOptions& opts);
// The environment: the image's, PATH when it has none, HOSTNAME, TERM with a tty, then -e and
// --env-file in order (later wins).
Result<std::vector<std::string>> effective_env(const oci::ContainerConfig& config,
                                               const RunOptions& opts, const std::string& hostname);
// "-v HOST:CTR[:ro|rw]" -> a bind mount; the host directory is created when missing.
Result<sandbox::Mount> parse_volume(const std::string& spec);

struct RunResult {
  sandbox::Outcome outcome;
  std::string container_id;
};

// Creates the container, runs it to completion and records (or, with remove, deletes) it.
Result<RunResult> run_container(store::Store& store, sandbox::Executor& executor,
                                const RunOptions& opts);

}  // namespace kiln::container
