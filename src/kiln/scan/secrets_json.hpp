// The secret rules file of `kiln scan --secret-config F` (docs/scan.md):
//   {"disable": ["jwt"],
//    "rules": [{"id": "acme-key", "title": "ACME API key", "severity": "HIGH",
//               "regex": "acme_[a-z0-9]{32}", "keywords": ["acme_"], "group": 0,
//               "icase": false, "minEntropy": 0}]}
#pragma once

#include <string_view>
#include <vector>

#include "kiln/scan/secrets.hpp"

namespace kiln::scan {

// `rules` with the file applied: disabled ids removed (an unknown id is an error), new rules
// compiled and added, a rule with a built-in's id replacing it. Errors name what is wrong.
Result<std::vector<SecretRule>> apply_secret_config(std::string_view text,
                                                    std::vector<SecretRule> rules);

}  // namespace kiln::scan
