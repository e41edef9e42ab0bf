#include "kiln/lint/image_check.hpp"

#include <gtest/gtest.h>

namespace kiln::lint {
namespace {

oci::ImageConfig config_of(const std::vector<std::string>& created_by, std::string user = "") {
  oci::ImageConfig c;
  for (const auto& s : created_by) {
    oci::History h;
    h.created_by = s;
    c.history.push_back(h);
  }
  c.config.emplace();
  c.config->user = std::move(user);
  return c;
}

TEST(ImageCheck, HistoryFormsOfEachBuilder) {
  auto df = dockerfile_from_history(config_of(
      {
          "/bin/sh -c #(nop) ADD file:0a1b2c in / ",           // classic builder, a base image
          "/bin/sh -c #(nop)  CMD [\"bash\"]",                 // classic, metadata
          "|2 A=1 B=2 /bin/sh -c apt-get update",              // classic RUN with build args
          "/bin/sh -c make",                                   // classic (and buildah) RUN
          "RUN |1 V=1.0 /bin/sh -c build $V # buildkit",       // BuildKit and kiln
          "COPY app /app # buildkit",                          // BuildKit COPY
          "WORKDIR /app",                                      // BuildKit metadata
          "EXPOSE map[80/tcp:{}]",                             // not checkable: left out
          "Imported from rootfs",                              // another tool's words: left out
          "RUN /bin/sh -c set -e\necho a\necho b # buildkit",  // a heredoc script
      },
      "app"));
  EXPECT_EQ(df.text,
            "FROM scratch\n"
            "ADD file:0a1b2c /\n"
            "CMD [\"bash\"]\n"
            "RUN apt-get update\n"
            "RUN make\n"
            "RUN build $V\n"
            "COPY app /app\n"
            "WORKDIR /app\n"
            "RUN <<'KILN_EOF'\nset -e\necho a\necho b\nKILN_EOF\n"
            "USER app\n");
  EXPECT_EQ(df.history, (std::vector<int>{-1, 0, 1, 2, 3, 4, 5, 6, 9, 9, 9, 9, 9, -1}));
}

TEST(ImageCheck, EntriesThatDoNotParseAreLeftOut) {
  auto df = dockerfile_from_history(config_of({
      "RUN /bin/sh -c echo a \\",       // a continuation that would swallow the next line
      "COPY # buildkit",                // no arguments
      "CMD [\"sh\", 1] # buildkit",     // a JSON array that is not one of strings
      "RUN /bin/sh -c cat <<EOF > /x",  // a heredoc without its body
      "ENV A=1",
  }));
  EXPECT_EQ(df.text, "FROM scratch\nENV A=1\n");
  EXPECT_EQ(df.history, (std::vector<int>{-1, 4}));
}

TEST(ImageCheck, TheConfigsUserWhenTheHistoryEndsWithAnother) {
  auto same = dockerfile_from_history(config_of({"USER app"}, "app"));
  EXPECT_EQ(same.text, "FROM scratch\nUSER app\n");
  auto none = dockerfile_from_history(config_of({"USER app"}, ""));
  EXPECT_EQ(none.text, "FROM scratch\nUSER app\nUSER root\n");  // the config says root
  auto root = dockerfile_from_history(config_of({"RUN /bin/sh -c true"}, ""));
  EXPECT_EQ(root.text, "FROM scratch\nRUN true\n");
}

TEST(ImageCheck, FindingsPointAtHistoryEntries) {
  auto found = check_image(config_of({
      "/bin/sh -c #(nop) ADD file:0a1b2c in / ",
      "RUN /bin/sh -c curl -fsSL https://x.example/i.sh | sh # buildkit", "ENV API_TOKEN=abc",
      "RUN /bin/sh -c set -e\nchmod 777 /srv # buildkit",
      "RUN /bin/sh -c cd /src && make # buildkit",  // CdInRun: a Dockerfile style rule, not run
  }));
  ASSERT_TRUE(found) << found.error().message();
  std::vector<std::pair<std::string, int>> got;
  for (const auto& f : *found) got.emplace_back(f.finding.rule, f.history);
  std::sort(got.begin(), got.end());
  EXPECT_EQ(got, (std::vector<std::pair<std::string, int>>{{"ChmodWorldWritable", 3},
                                                           {"CurlPipeShell", 1},
                                                           {"PipefailMissing", 1},
                                                           {"RootUser", -1},
                                                           {"SecretsUsedInArgOrEnv", 2}}));
  for (const auto& f : *found)
    if (f.finding.rule == "ChmodWorldWritable") {
      EXPECT_EQ(f.instruction, "RUN <<'KILN_EOF'");
    }
}

TEST(ImageCheck, AnUnprivilegedUserIsNotRoot) {
  auto found = check_image(config_of({"RUN /bin/sh -c true # buildkit"}, "1000:1000"));
  ASSERT_TRUE(found);
  EXPECT_TRUE(found->empty());
}

}  // namespace
}  // namespace kiln::lint
