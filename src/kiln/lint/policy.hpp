// The build gate's policy (`kiln build --policy FILE`, docs/lint.md): what a built image must
// satisfy before it is tagged or exported. Only what the file sets is enforced.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "kiln/base/error.hpp"
#include "kiln/lint/lint.hpp"

namespace kiln::lint {

struct Policy {
  std::optional<Severity> lint;          // lint findings at or above this are violations
  std::string max_severity;              // vulnerabilities at or above (CRITICAL, HIGH, ...)
  bool fixable_only = true;              // ... counting only those with a fixed version
  std::string vulndb;                    // the advisory database ("" = kiln's default)
  std::optional<bool> secrets;           // false: no secret in any layer or the config
  std::optional<bool> root;              // false: the image must not run as root
  std::optional<double> max_waste;       // analyze: wasted share of the layers above the first
  std::optional<double> min_efficiency;  // analyze: dive's efficiency
  std::vector<std::string> required_labels;
  std::vector<std::string> allowed_base_registries;
};

// Errors name the file and the key.
Result<Policy> parse_policy(std::string_view yaml, std::string_view filename);

// "10%", "0.1" or "10" (percent) as a fraction in [0, 1].
Result<double> parse_fraction(std::string_view s);

}  // namespace kiln::lint
