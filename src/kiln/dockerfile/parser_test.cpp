#include <gtest/gtest.h>

#include "kiln/dockerfile/ast.hpp"
#include "kiln/dockerfile/instructions.hpp"

namespace kiln::dockerfile {
namespace {

struct Golden {
  const char* name;
  std::string dockerfile;
  std::string dump;
};
void PrintTo(const Golden& g, std::ostream* os) {
  *os << g.name;
}

class ParserGolden : public ::testing::TestWithParam<Golden> {};

TEST_P(ParserGolden, DumpsLikeBuildKit) {
  auto ast = parse(GetParam().dockerfile);
  ASSERT_TRUE(ast) << ast.error().message();
  EXPECT_EQ(dump(*ast), GetParam().dump);
}

INSTANTIATE_TEST_SUITE_P(
    All, ParserGolden,
    ::testing::Values(
        Golden{"basics", "from busybox\nRun echo hi\n\n  cmd [\"sh\", \"-c\"]\n",
               "(from \"busybox\")\n(run \"echo hi\")\n(cmd \"sh\" \"-c\")\n"},
        Golden{"bom_crlf",
               "\xEF\xBB\xBF"
               "FROM a\r\nRUN b \\\r\n  c\r\n",
               "(from \"a\")\n(run \"b   c\")\n"},
        Golden{"comments_in_continuation",
               "FROM a\nRUN one \\\n# a comment\n  # indented comment\n two\n",
               "(from \"a\")\n(run \"one  two\")\n"},
        Golden{"empty_continuation_and_eof", "FROM a\nRUN x \\\n\n y\nRUN z \\",
               "(from \"a\")\n(run \"x  y\")\n(run \"z\")\n"},
        Golden{"invalid_json_falls_back",
               "FROM a\nCMD [\"unterminated\nENTRYPOINT [ 'single' ]\nRUN []\n",
               "(from \"a\")\n(cmd \"[\\\"unterminated\")\n(entrypoint \"[ 'single' ]\")\n(run)\n"},
        Golden{"env_forms",
               "FROM a\nENV A=1 B=\"two words\" C=x\\ y\nENV LEGACY some value\nLABEL \"k\"=v\n",
               // BuildKit's AST dump: key, value, then the separator ("=", or "" when legacy).
               "(from \"a\")\n(env \"A\" \"1\" \"=\" \"B\" \"\\\"two words\\\"\" \"=\" \"C\" "
               "\"x\\\\ y\" \"=\")\n(env \"LEGACY\" \"some value\" \"\")\n"
               "(label \"\\\"k\\\"\" \"v\" \"=\")\n"},
        Golden{
            "flags_and_lists",
            "FROM --platform=$BUILDPLATFORM golang:1 AS build\n"
            "COPY --from=build --chown=1:1 --chmod=0755 a b /dst/\n"
            "ADD [\"a b\", \"/c\"]\nRUN --mount=type=cache,target=/root/.cache --network=none go "
            "build\n"
            "ARG A B=2 \"C=3 4\"\nEXPOSE 80/tcp   53/udp\nVOLUME /a /b\n",
            "(from [\"--platform=$BUILDPLATFORM\"] \"golang:1\" \"AS\" \"build\")\n"
            "(copy [\"--from=build\" \"--chown=1:1\" \"--chmod=0755\"] \"a\" \"b\" \"/dst/\")\n"
            "(add \"a b\" \"/c\")\n"
            "(run [\"--mount=type=cache,target=/root/.cache\" \"--network=none\"] \"go build\")\n"
            "(arg \"A\" \"B=2\" \"\\\"C=3 4\\\"\")\n(expose \"80/tcp\" \"53/udp\")\n(volume \"/a\" "
            "\"/b\")\n"},
        Golden{"onbuild_and_healthcheck",
               "FROM a\nONBUILD RUN echo hi\nHEALTHCHECK NONE\n"
               "HEALTHCHECK --interval=5s CMD [\"curl\", \"-f\", \"x\"]\nSTOPSIGNAL SIGKILL\n",
               "(from \"a\")\n(onbuild (run \"echo hi\"))\n(healthcheck \"NONE\")\n"
               "(healthcheck [\"--interval=5s\"] \"CMD\" \"curl\" \"-f\" \"x\")\n(stopsignal "
               "\"SIGKILL\")\n"},
        Golden{"escape_directive", "# escape=`\nFROM windows\nRUN dir `\n  c:\\\nCOPY a\\b c:\\\n",
               "(from \"windows\")\n(run \"dir   c:\\\\\")\n(copy \"a\\\\b\" \"c:\\\\\")\n"},
        Golden{"directive_after_comment_is_comment", "# hello\n# escape=`\nFROM a\nRUN x \\\n y\n",
               "(from \"a\")\n(run \"x  y\")\n"},
        Golden{"heredocs",
               "FROM a\nRUN <<EOF\necho hi\nEOF\nCOPY <<-\"END\" /x\n\tliteral $HOME\n\tEND\n",
               "(from \"a\")\n(run \"<<EOF\")\n(copy \"<<-\\\"END\\\"\" \"/x\")\n"},
        Golden{"unknown_instruction_parses", "FROM a\nFORM b\n", "(from \"a\")\n(form)\n"}));

TEST(Parser, DirectivesBomAndWarnings) {
  auto ast =
      parse("\xEF\xBB\xBF# syntax=docker/dockerfile:1\n#check=skip=all\nFROM a\nRUN a \\\n\n b\n");
  ASSERT_TRUE(ast) << ast.error().message();
  ASSERT_EQ(ast->directives.size(), 2u);
  EXPECT_EQ(ast->directives[0].name, "syntax");
  EXPECT_EQ(ast->directives[0].value, "docker/dockerfile:1");
  EXPECT_EQ(ast->directives[1].name, "check");
  ASSERT_EQ(ast->warnings.size(), 1u);
  EXPECT_EQ(ast->warnings[0].message, "Empty continuation line found in: RUN a  b");
  EXPECT_EQ(ast->nodes[1].start_line, 4);
  EXPECT_EQ(ast->nodes[1].end_line, 6);
}

TEST(Parser, HeredocDetails) {
  auto ast = parse(
      "FROM a\nRUN <<EOF 3<<-\"X\" cat\nline $1\nEOF\n\tbody\n\tX\nCOPY <<one <<two "
      "/d/\n1\none\n2\ntwo\n");
  ASSERT_TRUE(ast) << ast.error().message();
  const auto& run = ast->nodes[1];
  ASSERT_EQ(run.heredocs.size(), 2u);
  EXPECT_EQ(run.heredocs[0].name, "EOF");
  EXPECT_EQ(run.heredocs[0].content, "line $1\n");
  EXPECT_TRUE(run.heredocs[0].expand);
  EXPECT_EQ(run.heredocs[1].name, "X");
  EXPECT_EQ(run.heredocs[1].fd, 3);
  EXPECT_TRUE(run.heredocs[1].chomp);
  EXPECT_FALSE(run.heredocs[1].expand) << "quoted delimiter: no expansion";
  EXPECT_EQ(run.heredocs[1].text(), "body\n");
  EXPECT_EQ(run.end_line, 6);
  auto df = parse_instructions(*ast);
  ASSERT_TRUE(df) << df.error().message();
  const auto& copy = std::get<Copy>(df->stages[0].commands[1].command);
  ASSERT_EQ(copy.paths.contents.size(), 2u);
  EXPECT_TRUE(copy.paths.sources.empty());
  EXPECT_EQ(copy.paths.contents[1].content, "2\n");
  EXPECT_EQ(copy.paths.dest, "/d/");
  auto json_form = parse("FROM a\nRUN [\"sh\", \"-c\", \"cat <<EOF\"]\nCMD x\n");
  EXPECT_TRUE(json_form->nodes[1].heredocs.empty()) << "exec form has no heredocs";
}

struct BadDf {
  const char* name;
  std::string dockerfile, message;
};
void PrintTo(const BadDf& b, std::ostream* os) {
  *os << b.name;
}

class ParserRejects : public ::testing::TestWithParam<BadDf> {};

TEST_P(ParserRejects, WithLocationAndCaret) {
  auto ast = parse(GetParam().dockerfile);
  Result<Dockerfile> df =
      ast ? parse_instructions(*ast) : Result<Dockerfile>(std::unexpected(ast.error()));
  ASSERT_FALSE(df);
  EXPECT_EQ(df.error().message(), GetParam().message);
  EXPECT_EQ(df.error().code(), Errc::invalid_argument);
}

INSTANTIATE_TEST_SUITE_P(
    All, ParserRejects,
    ::testing::Values(
        BadDf{"unknown_instruction", "FROM a\n  FORM b\n",
              "Dockerfile:2:3: unknown instruction: FORM (did you mean FROM?)\n 2 |   FORM b\n   | "
              "  ^"},
        BadDf{"bad_escape", "# escape=x\nFROM a\n",
              "Dockerfile:1:1: invalid escape token 'x' does not match ` or \\\n 1 | # escape=x\n  "
              " | ^"},
        BadDf{"double_directive", "# escape=`\n# escape=\\\nFROM a\n",
              "Dockerfile:2:1: only one escape parser directive can be used\n 2 | # escape=\\\n   "
              "| ^"},
        BadDf{"unterminated_heredoc", "FROM a\nRUN <<EOF\necho\n",
              "Dockerfile:2:1: unterminated heredoc: no line \"EOF\" ends the heredoc started "
              "here\n 2 | RUN <<EOF\n   | ^"},
        BadDf{"json_not_strings", "FROM a\nCMD [\"a\", 1]\n",
              "Dockerfile:2:1: when using JSON array syntax, arrays must be comprised of strings "
              "only\n 2 | CMD [\"a\", 1]\n   | ^"},
        BadDf{"unknown_flag", "FROM a\nCOPY --frmo=x a b\n",
              "Dockerfile:2:6: unknown flag: --frmo (did you mean from?)\n 2 | COPY --frmo=x a b\n "
              "  |      ^"},
        BadDf{"flag_missing_value", "FROM a\nCOPY --from a b\n",
              "Dockerfile:2:6: missing a value on flag: --from\n 2 | COPY --from a b\n   |      ^"},
        BadDf{"bad_bool_flag", "FROM a\nCOPY --link=maybe a b\n",
              "Dockerfile:2:6: expecting boolean value for flag --link, not: maybe\n 2 | COPY "
              "--link=maybe a b\n   |      ^"},
        BadDf{"duplicate_flag", "FROM a\nCOPY --chown=1 --chown=2 a b\n",
              "Dockerfile:2:6: duplicate flag specified: --chown\n 2 | COPY --chown=1 --chown=2 a "
              "b\n   |      ^"},
        BadDf{"copy_one_arg", "FROM a\nCOPY onlyone\n",
              "Dockerfile:2:1: COPY requires at least two arguments, but only one was provided. "
              "Destination could not "
              "be determined.\n 2 | COPY onlyone\n   | ^"},
        BadDf{"env_no_equals", "FROM a\nENV A=1 B\n",
              "Dockerfile:2:1: Syntax error - can't find = in \"B\". Must be of the form: "
              "name=value\n 2 | ENV A=1 B\n   | ^"},
        BadDf{"env_legacy_one_word", "FROM a\nENV ONLY\n",
              "Dockerfile:2:1: ENV must have two arguments\n 2 | ENV ONLY\n   | ^"},
        BadDf{"label_blank", "FROM a\nLABEL =x\n",
              "Dockerfile:2:1: LABEL names can not be blank\n 2 | LABEL =x\n   | ^"},
        BadDf{"arg_blank", "ARG =x\nFROM a\n",
              "Dockerfile:1:1: ARG names can not be blank\n 1 | ARG =x\n   | ^"},
        BadDf{"from_two_args", "FROM a b\n",
              "Dockerfile:1:1: FROM requires either one or three arguments\n 1 | FROM a b\n   | ^"},
        BadDf{"bad_stage_name", "FROM a AS 1bad\n",
              "Dockerfile:1:1: invalid name for build stage: \"1bad\", name can't start with a "
              "number or contain symbols\n"
              " 1 | FROM a AS 1bad\n   | ^"},
        BadDf{"no_from", "# only a comment\n",
              "Dockerfile: the Dockerfile has no FROM instruction (no build stage)"},
        BadDf{"instruction_before_from", "RUN x\nFROM a\n",
              "Dockerfile:1:1: RUN before the first FROM: only ARG may come before FROM (no build "
              "stage in current context)\n"
              " 1 | RUN x\n   | ^"},
        BadDf{"workdir_two", "FROM a\nWORKDIR\n",
              "Dockerfile:2:1: WORKDIR requires exactly one argument\n 2 | WORKDIR\n   | ^"},
        BadDf{"shell_not_json", "FROM a\nSHELL /bin/bash -c\n",
              "Dockerfile:2:1: SHELL requires the arguments to be in JSON form, e.g. SHELL "
              "[\"/bin/sh\", \"-c\"]\n"
              " 2 | SHELL /bin/bash -c\n   | ^"},
        BadDf{"onbuild_onbuild", "FROM a\nONBUILD ONBUILD RUN x\n",
              "Dockerfile:2:1: Chaining ONBUILD via `ONBUILD ONBUILD` isn't allowed\n 2 | ONBUILD "
              "ONBUILD RUN x\n   | ^"},
        BadDf{"onbuild_from", "FROM a\nONBUILD FROM b\n",
              "Dockerfile:2:1: FROM isn't allowed as an ONBUILD trigger\n 2 | ONBUILD FROM b\n   | "
              "^"},
        BadDf{"healthcheck_type", "FROM a\nHEALTHCHECK CONNECT TCP 7000\n",
              "Dockerfile:2:1: Unknown type \"CONNECT\" in HEALTHCHECK (try CMD)\n 2 | HEALTHCHECK "
              "CONNECT TCP 7000\n   | ^"},
        BadDf{"healthcheck_interval", "FROM a\nHEALTHCHECK --interval=1us CMD true\n",
              "Dockerfile:2:1: Interval \"interval\" cannot be less than 1ms\n 2 | HEALTHCHECK "
              "--interval=1us CMD true\n   | ^"},
        BadDf{"healthcheck_duration", "FROM a\nHEALTHCHECK --timeout=5x CMD true\n",
              "Dockerfile:2:1: time: unknown unit \"x\" in duration \"5x\"\n 2 | HEALTHCHECK "
              "--timeout=5x CMD true\n   | ^"},
        BadDf{"healthcheck_retries", "FROM a\nHEALTHCHECK --retries=-1 CMD true\n",
              "Dockerfile:2:13: --retries cannot be negative (-1)\n 2 | HEALTHCHECK --retries=-1 "
              "CMD true\n   |             ^"},
        BadDf{
            "healthcheck_none_args", "FROM a\nHEALTHCHECK NONE x\n",
            "Dockerfile:2:1: HEALTHCHECK NONE takes no arguments\n 2 | HEALTHCHECK NONE x\n   | ^"},
        BadDf{"run_network", "FROM a\nRUN --network=bridge x\n",
              "Dockerfile:2:1: unsupported network mode \"bridge\" (want default, none or host)\n "
              "2 | RUN --network=bridge x\n   | ^"},
        BadDf{"run_mount_type", "FROM a\nRUN --mount=type=cahce,target=/x y\n",
              "Dockerfile:2:5: --mount=type=cahce,target=/x: unsupported mount type \"cahce\" (did "
              "you mean cache?)\n"
              " 2 | RUN --mount=type=cahce,target=/x y\n   |     ^"},
        BadDf{"run_mount_key", "FROM a\nRUN --mount=type=bind,traget=/x y\n",
              "Dockerfile:2:5: --mount=type=bind,traget=/x: unexpected key 'traget' in 'traget=/x' "
              "(did you mean target?)\n"
              " 2 | RUN --mount=type=bind,traget=/x y\n   |     ^"},
        BadDf{"volume_empty", "FROM a\nVOLUME [\"\"]\n",
              "Dockerfile:2:1: VOLUME specified can not be an empty string\n 2 | VOLUME [\"\"]\n   "
              "| ^"},
        BadDf{"chmod_bad", "FROM a\nCOPY --chmod=999 a b\n",
              "Dockerfile:2:1: invalid chmod parameter \"999\" (want an octal mode like 0755 or "
              "u+x)\n 2 | COPY --chmod=999 a b\n   | ^"},
        BadDf{"tab_in_caret_line", "FROM a\n\tBOGUS x\n",
              "Dockerfile:2:2: unknown instruction: BOGUS\n 2 |  BOGUS x\n   |  ^"}));

}  // namespace
}  // namespace kiln::dockerfile

namespace kiln::dockerfile {
namespace {

// Inputs the fuzzer (or review) found: none may throw or crash.
TEST(ParserRobustness, HostileInputs) {
  std::string invalid_utf8 =
      "FROM debian\nADD chCMD   \xff\xff"
      "b\nLABEL k=\xfe\n";
  auto ast = parse(invalid_utf8);
  ASSERT_TRUE(ast);
  EXPECT_NE(to_json(*ast).find("\xEF\xBF\xBD"), std::string::npos)
      << "invalid UTF-8 becomes U+FFFD, as Go writes it";
  EXPECT_NE(dump(*ast).find("\\xff\\xff"), std::string::npos);
  auto fd = parse("FROM a\nRUN 99999999999999999999999<<EOF\nx\nEOF\n");
  ASSERT_TRUE(fd) << fd.error().message();
  auto dur = parse_instructions(
      *parse("FROM a\nHEALTHCHECK --interval=" + std::string(400, '9') + "s CMD x\n"));
  ASSERT_FALSE(dur);
  EXPECT_NE(dur.error().message().find("time: invalid duration"), std::string::npos);
  std::string long_line =
      "# escape=" + std::string(200000, 'x') + "\nFROM a\nRUN " + std::string(200000, 'y') + "\n";
  auto big = parse(long_line);
  ASSERT_FALSE(big) << "a 200 kB escape directive is refused, not a stack overflow";
  auto stars =
      parse_instructions(*parse("FROM a\nCOPY --chmod=" + std::string(100000, 'u') + " a b\n"));
  EXPECT_FALSE(stars);
}

}  // namespace
}  // namespace kiln::dockerfile
