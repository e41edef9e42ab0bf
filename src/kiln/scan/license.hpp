// SPDX license expressions (SPDX 2.3, annex D) from what package metadata states: apk's `L:`,
// a Python distribution's License / License-Expression, npm's "license". SBOM writers use the
// expression when it is one, and keep the text as an unlisted licence otherwise.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace kiln::scan {

// The expression in SPDX's canonical form when `text` is a license expression whose ids are
// all on SPDX's license list (deprecated ids included) or are LicenseRef-s, and whose
// exceptions are on SPDX's exception list: ids in the list's case, AND / OR / WITH in upper
// case, single spaces. nullopt for anything else ("Apache 2.0", "BSD-like", "custom", "").
// The lists are the ones Debian's node-spdx-license-ids and node-spdx-exceptions carried when
// kiln was built.
std::optional<std::string> spdx_expression(std::string_view text);

// The id in the list's case when `id` is on SPDX's license list, "" otherwise.
std::string spdx_license_id(std::string_view id);

// A LicenseRef- id for a licence text that is not an expression: "LicenseRef-" and the text
// with every character outside [A-Za-z0-9.-] as "-", and, so that two texts never share an
// id, the first 8 hex digits of the text's SHA-256.
std::string license_ref(std::string_view text);

}  // namespace kiln::scan
