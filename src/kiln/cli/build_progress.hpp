// Build progress on stderr, as BuildKit shows it (cli/ only: presentation).
//   plain: one line per event: "#3 [build 2/4] COPY app/ ./", "#3 0.512 output" (seconds since
//          the step started), and every step ends with "#3 DONE 0.4s", "#3 CACHED" or
//          "#3 ERROR: ...".
//   tty:   a live view redrawn in place: "[+] Building 2.3s (3/5)", each step with its timer,
//          the last lines of a running step's output under it, finished steps collapsed with
//          their times; warnings and messages print below the final view.
//   quiet: warnings only.
#pragma once

#include <memory>

#include "kiln/builder/build.hpp"

namespace kiln::cli {

enum class ProgressMode { plain, tty, quiet };

// The printer for `mode`. finish() (on the tty printer: the last redraw) happens on destruction
// or when called.
class BuildProgress : public builder::Progress {
 public:
  virtual void finish() = 0;
};
std::unique_ptr<BuildProgress> make_build_progress(ProgressMode mode);

}  // namespace kiln::cli
