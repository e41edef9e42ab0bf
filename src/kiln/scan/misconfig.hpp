// A misconfiguration of an image (`kiln scan --scanners config`): a lint rule that the
// image's history or config breaks. Found by lint/image_check.hpp (which builds on scan/);
// reported here beside vulnerabilities and secrets.
#pragma once

#include <string>

namespace kiln::scan {

struct Misconfiguration {
  std::string rule, title;  // the lint rule's ID and description
  std::string severity;     // HIGH (lint error), MEDIUM (warning), LOW (info)
  std::string message, fix, url;
  std::string instruction;  // the instruction, as the history records it
  int history = -1;         // its index in the config's history; -1: the config itself
  int layer = -1;           // the layer it made; -1: none (a metadata instruction, the config)
  std::string layer_digest, created_by;
  std::string location;  // "Dockerfile:12" when kiln built the image
};

}  // namespace kiln::scan
