// `kiln build`: a Dockerfile and a context become an image in the store.
//
// Plan first (dockerfile::make_plan: ARGs, stages, target), then each needed stage in
// dependency order, instruction by instruction with BuildKit's semantics. Layer-making steps
// (RUN, COPY, ADD, WORKDIR that creates a directory) are looked up in the build cache by a key
// chained from the parent's key, the expanded instruction, the build args in scope, the content
// of copied sources and the mounts' definitions; a hit reuses the layer without running,
// archiving or compressing anything.
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "kiln/io/compress.hpp"
#include "kiln/sandbox/spec.hpp"
#include "kiln/store/store.hpp"

namespace kiln::builder {

struct Secret {
  std::string id;
  std::string file;  // src=PATH
  std::string env;   // env=VAR (read from kiln's environment)
};

struct Output {
  // kiln: the store only; tar/local: the root filesystem; oci/docker: an image archive (an OCI
  // layout directory for oci with tar=false), as `kiln save` writes them.
  enum class Type { kiln, tar, local, oci, docker } type = Type::kiln;
  std::string dest;
  bool as_tar = true;
};

struct BuildOptions {
  std::string context;     // a directory, or "-" for a tar stream on stdin_fd
  std::string dockerfile;  // path, "-" (stdin), or "" for CONTEXT/Dockerfile
  int stdin_fd = 0;
  std::vector<std::string> tags;
  std::map<std::string, std::string> build_args;
  std::string target;
  // The command (argv) that makes a layer from a step's snapshot in a process of its own
  // (`kiln __layer-job`, see layer_jobs.hpp), so that steps do not wait for it. Empty: each
  // step's layer is made before the next step starts.
  std::vector<std::string> layer_maker;
  bool no_cache = false;
  std::map<std::string, std::string> labels;
  std::string platform;  // "" = this machine
  std::vector<Secret> secrets;
  sandbox::Network network = sandbox::Network::host;
  std::optional<int64_t> source_date_epoch;
  io::Compression compression = io::Compression::gzip;
  Output output;
  std::string cache_from, cache_to;  // directories (cache_io.hpp)
};

// Progress events (progress.hpp renders them).
class Progress {
 public:
  virtual ~Progress() = default;
  // A step starts: id is its number (#id), stage its stage's name ("" for a single-stage
  // Dockerfile), n of total as BuildKit counts (FROM of an image, RUN, COPY, ADD, WORKDIR and
  // the base's ONBUILD triggers).
  virtual void step(int id, const std::string& stage, int n, int total,
                    const std::string& text) = 0;
  virtual void cached(int id) = 0;
  virtual void done(int id, double seconds) = 0;
  virtual void failed(int id, const std::string& message) = 0;
  virtual void output(int id, std::string_view line) = 0;  // RUN output, one line
  virtual void warning(const std::string& message) = 0;
  virtual void info(const std::string& message) = 0;
};

// "[build 2/5]", "[ 2/10]": BuildKit's step prefix, the index padded to the total's width;
// no stage name for a single-stage Dockerfile.
std::string step_label(const std::string& stage, int n, int total);

struct BuildResult {
  Digest image_id;         // the config digest (docker's image ID)
  Digest manifest_digest;  // what the tags point to
  int steps = 0, cached = 0;
};

Result<BuildResult> build_image(store::Store& store, sandbox::Executor& executor,
                                const BuildOptions& opts, Progress& progress);

}  // namespace kiln::builder
