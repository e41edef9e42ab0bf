// Misconfigurations of a built image (`kiln scan --scanners config`): the image's history
// written back as a Dockerfile and checked with the lint rules that still mean something for a
// finished image (security, pinning, size, correctness); rules about how the Dockerfile is
// written (casing, stage names, base image references, the build context) are left out.
#pragma once

#include <string>
#include <vector>

#include "kiln/base/error.hpp"
#include "kiln/lint/lint.hpp"
#include "kiln/oci/types.hpp"

namespace kiln::lint {

// The Dockerfile: "FROM scratch", then one instruction per history entry that names one (the
// forms docker's classic builder, BuildKit, buildah and kiln write: "/bin/sh -c #(nop) ENV
// A=1", "RUN |1 A=b /bin/sh -c make # buildkit", "/bin/sh -c apt-get ..."), a script with
// newlines as a heredoc, and a USER line for the config's user when the history does not end
// with it.
struct HistoryDockerfile {
  std::string text;
  std::vector<int> history;  // by line - 1: the history entry it came from, -1 the config
};
HistoryDockerfile dockerfile_from_history(const oci::ImageConfig& config);

struct ImageFinding {
  Finding finding;
  int history = -1;         // -1: the image config itself
  std::string instruction;  // the instruction as written back
};

// The rules that apply to an image; `cfg` can turn some off or change their severity.
std::vector<std::string> image_rules();

Result<std::vector<ImageFinding>> check_image(const oci::ImageConfig& config, Config cfg = {});

}  // namespace kiln::lint
