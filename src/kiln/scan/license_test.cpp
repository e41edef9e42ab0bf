#include "kiln/scan/license.hpp"

#include <gtest/gtest.h>

namespace kiln::scan {
namespace {

TEST(SpdxExpression, ListedIdsInTheListsCase) {
  EXPECT_EQ(spdx_expression("MIT"), "MIT");
  EXPECT_EQ(spdx_expression("mit"), "MIT");
  EXPECT_EQ(spdx_expression("apache-2.0"), "Apache-2.0");
  EXPECT_EQ(spdx_expression("GPL-2.0"), "GPL-2.0");  // deprecated ids are still ids
  EXPECT_EQ(spdx_expression("GPL-2.0+"), "GPL-2.0+");
  EXPECT_EQ(spdx_expression("  Zlib "), "Zlib");
}

TEST(SpdxExpression, OperatorsAndParentheses) {
  EXPECT_EQ(spdx_expression("MIT or Apache-2.0"), "MIT OR Apache-2.0");
  EXPECT_EQ(spdx_expression("GPL-2.0-only AND (MIT OR BSD-2-Clause)"),
            "GPL-2.0-only AND (MIT OR BSD-2-Clause)");
  EXPECT_EQ(spdx_expression("(MIT)"), "(MIT)");
  EXPECT_EQ(spdx_expression("((mit)and(isc))"), "((MIT) AND (ISC))");
  EXPECT_EQ(spdx_expression("Apache-2.0 with llvm-exception"), "Apache-2.0 WITH LLVM-exception");
  EXPECT_EQ(spdx_expression("GPL-3.0-or-later WITH GCC-exception-3.1 OR MIT"),
            "GPL-3.0-or-later WITH GCC-exception-3.1 OR MIT");
  EXPECT_EQ(spdx_expression("LicenseRef-Acme-1 AND MIT"), "LicenseRef-Acme-1 AND MIT");
  EXPECT_EQ(spdx_expression("DocumentRef-other:LicenseRef-x"), "DocumentRef-other:LicenseRef-x");
}

TEST(SpdxExpression, NotExpressions) {
  for (const char* s : {"",
                        "  ",
                        "Apache 2.0",
                        "MIT License",
                        "custom",
                        "BSD",
                        "Public-Domain",
                        "MIT AND",
                        "AND MIT",
                        "(MIT",
                        "MIT)",
                        "MIT OR OR ISC",
                        "MIT WITH",
                        "MIT WITH MIT",
                        "GPL-2.0-only WITH Not-An-Exception",
                        "LicenseRef-",
                        "LicenseRef-a b",
                        "DocumentRef-x:MIT",
                        "SEE LICENSE IN LICENSE.md",
                        "MIT++",
                        "()"})
    EXPECT_EQ(spdx_expression(s), std::nullopt) << s;
  // Deep nesting is refused, not a stack overflow.
  EXPECT_EQ(spdx_expression(std::string(2000, '(') + "MIT" + std::string(2000, ')')), std::nullopt);
}

TEST(SpdxLicenseId, OnlyListedIds) {
  EXPECT_EQ(spdx_license_id("bsd-3-clause"), "BSD-3-Clause");
  EXPECT_EQ(spdx_license_id("MIT OR ISC"), "");
  EXPECT_EQ(spdx_license_id("LLVM-exception"), "");  // an exception, not a licence
}

TEST(LicenseRef, ValidAndDistinct) {
  auto a = license_ref("Apache 2.0");
  EXPECT_TRUE(a.starts_with("LicenseRef-Apache-2.0-")) << a;
  EXPECT_EQ(a.size(), std::string("LicenseRef-Apache-2.0-").size() + 8);
  EXPECT_NE(license_ref("Apache 2.0"), license_ref("Apache_2.0"));
  EXPECT_TRUE(spdx_expression(a).has_value()) << a;
  EXPECT_TRUE(spdx_expression(license_ref("ünïcode / weird")).has_value());
}

}  // namespace
}  // namespace kiln::scan
