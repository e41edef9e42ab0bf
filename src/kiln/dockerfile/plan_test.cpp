#include "kiln/dockerfile/plan.hpp"

#include <chrono>

#include <gtest/gtest.h>

#include "kiln/dockerfile/dockerignore.hpp"
#include "kiln/os/temp_dir.hpp"

namespace kiln::dockerfile {
namespace {

Result<Dockerfile> df_of(std::string_view text) {
  auto ast = KILN_TRY(parse(text));
  return parse_instructions(ast);
}

std::vector<std::string> names(const Plan& p) {
  std::vector<std::string> out;
  for (const auto& s : p.stages) out.push_back(s.name);
  return out;
}

const char* k_multi = R"(ARG BASE=busybox
ARG TAG
ARG FULL=${BASE}:${TAG:-1.36}
FROM ${FULL} AS deps
RUN echo deps
FROM --platform=$BUILDPLATFORM $BASE AS build
ARG TAG
ARG LOCAL=x${TAG}
COPY --from=deps /a /b
RUN --mount=type=bind,from=tools,target=/t make
FROM alpine AS tools
FROM build AS test
RUN make test
FROM scratch AS unused
FROM build
COPY --from=0 /x /y
)";

TEST(Plan, StagesArgsAndReachability) {
  auto df = df_of(k_multi);
  ASSERT_TRUE(df) << df.error().message();
  PlanOptions o;
  o.build_args = {{"TAG", "1.35"}, {"UNUSED", "1"}, {"HTTP_PROXY", "http://p"}};
  o.platforms.build_arch = "arm64";
  auto p = make_plan(*df, o);
  ASSERT_TRUE(p) << p.error().message();
  EXPECT_EQ(names(*p), (std::vector<std::string>{"deps", "build", "tools", "stage-5"}))
      << "test and unused are not reachable from the last stage";
  EXPECT_EQ(p->stages[0].base, "busybox:1.35")
      << "global ARG defaults see earlier ARGs and build args";
  EXPECT_EQ(p->stages[1].base, "busybox");
  EXPECT_EQ(p->stages[1].platform, "linux/arm64");
  EXPECT_EQ(p->stages[1].deps, (std::vector<int>{0, 2}))
      << "COPY --from and RUN --mount from= (a later stage)";
  EXPECT_EQ(p->stages[3].base_stage, 1);
  EXPECT_EQ(p->stages[3].deps, (std::vector<int>{0, 1}));
  EXPECT_EQ(p->unused_build_args, std::vector<std::string>{"UNUSED"});
  EXPECT_EQ(p->proxy_args.at("HTTP_PROXY"), "http://p");
  EXPECT_EQ(p->meta_args.at("TARGETPLATFORM"), "linux/amd64");

  o.target = "TEST";
  auto t = make_plan(*df, o);
  ASSERT_TRUE(t);
  EXPECT_EQ(names(*t), (std::vector<std::string>{"deps", "build", "tools", "test"}));
  o.target = "nope";
  EXPECT_EQ(make_plan(*df, o).error().message(), "target stage \"nope\" could not be found");
}

TEST(Plan, ArgScopeInsideAStage) {
  auto df = df_of(k_multi);
  PlanOptions o;
  o.build_args = {{"LOCAL", "from-cli"}};
  auto p = make_plan(*df, o);
  ArgScope scope(*p, o);
  Lexer lex;
  Vars env{{"PATH", "/bin"}};
  // ARG TAG (no default) inherits nothing: TAG had no global default and no build arg.
  EXPECT_FALSE(*scope.declare({"TAG", std::nullopt}, env, lex));
  // ARG BASE without a default gets the global value.
  EXPECT_EQ(**scope.declare({"BASE", std::nullopt}, env, lex), "busybox");
  // A build arg beats the default; a default is expanded with the stage environment.
  EXPECT_EQ(**scope.declare({"LOCAL", "x${TAG}"}, env, lex), "from-cli");
  EXPECT_EQ(**scope.declare({"P", "$PATH:/x"}, env, lex), "/bin:/x");
  EXPECT_EQ(**scope.declare({"TARGETARCH", std::nullopt}, env, lex), "amd64");
  EXPECT_EQ(scope.values().size(), 4u);
}

TEST(Plan, RejectsCyclesAndBadRefs) {
  auto cyc = df_of("FROM busybox AS stage0\nCOPY --from=stage0 f1 /sub/\n");
  auto p = make_plan(*cyc, {});
  ASSERT_FALSE(p);
  EXPECT_EQ(p.error().message(),
            "Dockerfile:1:1: circular dependency detected on stage: stage0\n 1 | FROM busybox AS "
            "stage0\n   | ^");
  auto three = df_of(
      "FROM busybox AS stage0\nCOPY --from=stage2 f1 /sub/\nFROM busybox AS stage1\n"
      "COPY --from=stage0 f2 /sub/\nFROM busybox AS stage2\nCOPY --from=stage1 f2 /sub/\n");
  EXPECT_NE(
      make_plan(*three, {}).error().message().find("circular dependency detected on stage: stage0"),
      std::string::npos);
  auto idx = df_of("FROM a\nCOPY --from=7 x y\n");
  EXPECT_EQ(make_plan(*idx, {}).error().message(),
            "Dockerfile:2:1: invalid stage index 7 (the Dockerfile has 1 stages)\n 2 | COPY "
            "--from=7 x y\n   | ^");
  auto blank = df_of("ARG X\nFROM ${X}\n");
  EXPECT_EQ(make_plan(*blank, {}).error().message(),
            "Dockerfile:2:1: base name (${X}) should not be blank\n 2 | FROM ${X}\n   | ^");
  // FROM a name of a later (or its own) stage is an image, not a cycle, as in BuildKit.
  auto self = df_of("FROM alpine AS alpine\nRUN x\n");
  auto sp = make_plan(*self, {});
  ASSERT_TRUE(sp);
  EXPECT_EQ(sp->stages[0].base_stage, -1);
}

TEST(Plan, ExpandsExactlyTheExpandableFields) {
  auto df = df_of(
      "FROM a\nENV A=$X B=\"$Y z\"\nCOPY --chown=$U --from=$S $SRC $DST\nWORKDIR $W\n"
      "RUN echo $X\nCMD echo $X\nEXPOSE $PORTS\nRUN --mount=type=cache,target=$T x\n");
  ASSERT_TRUE(df);
  Vars env{{"X", "1"},       {"Y", "2"},    {"U", "app"}, {"S", "build"},
           {"SRC", "a.txt"}, {"DST", "/d"}, {"W", "/w"},  {"PORTS", "80 443/udp"},
           {"T", "/cache"}};
  Lexer lex;
  const auto& cmds = df->stages[0].commands;
  auto e = std::get<Env>(*expand(cmds[0].command, env, lex));
  EXPECT_EQ(e.vars[0].value, "1");
  EXPECT_EQ(e.vars[1].value, "2 z");
  auto c = std::get<Copy>(*expand(cmds[1].command, env, lex));
  EXPECT_EQ(c.chown, "app");
  EXPECT_EQ(c.from, "build");
  EXPECT_EQ(c.paths.sources, std::vector<std::string>{"a.txt"});
  EXPECT_EQ(c.paths.dest, "/d");
  EXPECT_EQ(std::get<Workdir>(*expand(cmds[2].command, env, lex)).path, "/w");
  EXPECT_EQ(std::get<dockerfile::Run>(*expand(cmds[3].command, env, lex)).cmd.args,
            std::vector<std::string>{"echo $X"});
  EXPECT_EQ(std::get<Cmd>(*expand(cmds[4].command, env, lex)).cmd.args,
            std::vector<std::string>{"echo $X"});
  EXPECT_EQ(std::get<Expose>(*expand(cmds[5].command, env, lex)).ports,
            (std::vector<std::string>{"80", "443/udp"}));
  EXPECT_EQ(std::get<dockerfile::Run>(*expand(cmds[6].command, env, lex)).mounts[0].target,
            "/cache");
}

TEST(Mounts, ParsesEveryType) {
  auto m = parse_mount(
      "type=cache,target=/root/.cache,id=go,sharing=locked,mode=0700,uid=1000,gid=1000");
  ASSERT_TRUE(m) << m.error().message();
  EXPECT_EQ(m->type, Mount::Type::cache);
  EXPECT_EQ(*m->mode, 0700u);
  EXPECT_FALSE(m->readonly) << "cache mounts are writable by default";
  auto b = parse_mount("target=/src,from=build,source=/out");
  EXPECT_EQ(b->type, Mount::Type::bind);
  EXPECT_TRUE(b->readonly);
  EXPECT_FALSE(parse_mount("type=bind,target=/x,rw")->readonly);
  auto s = parse_mount("type=secret,id=token,required,env=TOKEN");
  EXPECT_TRUE(s->required);
  EXPECT_EQ(s->env, "TOKEN");
  EXPECT_EQ(parse_mount("type=tmpfs,target=/t,size=64m")->size, 64 << 20);
  EXPECT_EQ(parse_mount("type=ssh")->type, Mount::Type::ssh);
  EXPECT_EQ(parse_mount("type=bind,target=/x,mode=0700").error().message(),
            "mode not allowed for \"bind\" type mounts");
  EXPECT_EQ(parse_mount("type=bind,target=/x,sharing=locked").error().message(),
            "invalid cache sharing set for bind mount");
  EXPECT_EQ(parse_mount("type=secret").error().message(),
            "invalid secret mount. one of source, target required");
  EXPECT_EQ(parse_mount("type=cache").error().message(),
            "mount type \"cache\" needs a target (target=/path)");
  EXPECT_EQ(parse_mount("type=cache,target=/x,ro=maybe").error().message(),
            "invalid value for ro: maybe");
  EXPECT_EQ(parse_mount("type=cache,target=/x,uid=-1").error().message(),
            "invalid value -1 for uid");
  EXPECT_EQ(parse_mount("type=bind,target=/x,bogus").error().message(),
            "invalid field 'bogus' must be a key=value pair");
  // A quoted CSV field keeps its commas: the whole thing is the value of "type".
  EXPECT_EQ(parse_mount("\"type=cache,target=/a,b\"").error().message(),
            "unsupported mount type \"cache,target=/a,b\"");
}

TEST(Durations, GoSyntax) {
  EXPECT_EQ(*parse_go_duration("1m30s"), 90'000'000'000);
  EXPECT_EQ(*parse_go_duration("1.5h"), 5'400'000'000'000);
  EXPECT_EQ(*parse_go_duration("250ms"), 250'000'000);
  EXPECT_EQ(*parse_go_duration("0"), 0);
  EXPECT_EQ(parse_go_duration("5").error().message(), "time: missing unit in duration \"5\"");
  EXPECT_FALSE(parse_go_duration(""));
}

TEST(DockerIgnore, ParsesLikeBuildKit) {
  auto m = IgnoreMatcher::parse(
      "\xEF\xBB\xBF# comment\n  *.log  \n!keep.log\n/abs/./dir/\nbuild/**\n\n!build/dist\n");
  ASSERT_TRUE(m) << m.error().message();
  EXPECT_EQ(m->patterns(),
            (std::vector<std::string>{"*.log", "!keep.log", "abs/dir", "build/**", "!build/dist"}));
}

TEST(DockerIgnore, Matching) {
  auto m = *IgnoreMatcher::parse(
      "*.log\n!keep.log\nnode_modules\n**/*.tmp\ndocs/**\n!docs/README.md\nsrc/?.c\n"
      "[ab]*.txt\n");
  EXPECT_TRUE(m.excluded("a.log"));
  EXPECT_FALSE(m.excluded("keep.log"));
  EXPECT_FALSE(m.excluded("sub/a.log")) << "* does not cross /";
  EXPECT_TRUE(m.excluded("node_modules"));
  EXPECT_TRUE(m.excluded("node_modules/x/y.js")) << "an excluded directory excludes its children";
  EXPECT_TRUE(m.excluded("x.tmp"));
  EXPECT_TRUE(m.excluded("deep/er/x.tmp"));
  EXPECT_TRUE(m.excluded("docs/guide.md"));
  EXPECT_FALSE(m.excluded("docs/README.md"));
  EXPECT_TRUE(m.excluded("src/a.c"));
  EXPECT_FALSE(m.excluded("src/ab.c"));
  EXPECT_TRUE(m.excluded("b1.txt"));
  EXPECT_FALSE(m.excluded("c1.txt"));
  EXPECT_TRUE(m.may_reinclude_under("docs"));
  EXPECT_FALSE(m.may_reinclude_under("node_modules"));
}

TEST(DockerIgnore, ExceptionsReincludeInsideExcludedDirs) {
  auto m = *IgnoreMatcher::parse("dir\n!dir/keep\n");
  EXPECT_TRUE(m.excluded("dir/other"));
  EXPECT_FALSE(m.excluded("dir/keep"));
  EXPECT_TRUE(m.may_reinclude_under("dir"));
  auto all = *IgnoreMatcher::parse("*\n!src\n");
  EXPECT_FALSE(all.excluded("src/a/b.c"));
  EXPECT_TRUE(all.excluded("Dockerfile"));
}

TEST(DockerIgnore, Errors) {
  EXPECT_EQ(IgnoreMatcher::parse("!\n").error().message(),
            ".dockerignore: illegal exclusion pattern: \"!\"");
  EXPECT_EQ(IgnoreMatcher::parse("a[b\n").error().message(),
            ".dockerignore: pattern \"a[b\": syntax error in pattern");
  EXPECT_EQ(go_clean("./a//b/../c/"), "a/c");
  EXPECT_EQ(go_clean("../x"), "../x");
  EXPECT_TRUE(*go_match("a*[0-9]", "abc7"));
  EXPECT_FALSE(*go_match("a*", "a/b"));
}

}  // namespace
}  // namespace kiln::dockerfile

namespace kiln::dockerfile {
namespace {

TEST(DockerIgnoreRobustness, PathologicalPatternsStayFast) {
  auto m = IgnoreMatcher::parse(std::string(60, '*') + "a" + std::string(60, '*') + "b\n**/" +
                                std::string(50, '?') + "\n");
  ASSERT_TRUE(m) << m.error().message();
  auto start = std::chrono::steady_clock::now();
  EXPECT_FALSE(m->excluded(std::string(3000, 'a')));
  EXPECT_TRUE(m->excluded("x/" + std::string(50, 'c')));
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(2));
}

}  // namespace
}  // namespace kiln::dockerfile

namespace kiln::dockerfile {
namespace {

TEST(Plan, ExpansionSyntaxErrorsAreFoundBeforeTheBuild) {
  auto q = make_plan(*df_of("FROM a\nENV A=\"unterminated\n"), {});
  ASSERT_FALSE(q);
  EXPECT_EQ(q.error().message(),
            "Dockerfile:2:1: failed to process \"\\\"unterminated\": unexpected end of statement "
            "while looking for "
            "matching double-quote\n 2 | ENV A=\"unterminated\n   | ^");
  auto v = make_plan(*df_of("FROM a\nWORKDIR ${X:=y}\n"), {});
  ASSERT_FALSE(v);
  EXPECT_NE(v.error().message().find("unsupported modifier (:=) in substitution"),
            std::string::npos);
  auto arg = make_plan(*df_of("FROM a\nARG X='open\n"), {});
  EXPECT_FALSE(arg);
  // Unset variables, ${X:?} and RUN bodies are the build's business, and unreachable stages
  // are not checked at all (BuildKit would never run them).
  EXPECT_TRUE(make_plan(*df_of("FROM a\nENV A=$UNSET B=${C:?must}\nRUN echo \"unbalanced\n"), {}));
  EXPECT_TRUE(make_plan(*df_of("FROM a AS broken\nENV A=\"x\nFROM b\n"), {}));
}

TEST(DockerIgnore, IgnoreFileNextToTheDockerfileWins) {
  auto t = os::TempDir::create("ign");
  ASSERT_TRUE(t);
  auto d = *os::Dir::open(t->path());
  EXPECT_EQ(ignore_file_for(t->path(), *t / "Dockerfile"), "");
  ASSERT_TRUE(os::write_file_atomic(d, ".dockerignore", "a"));
  EXPECT_EQ(ignore_file_for(t->path(), *t / "Dockerfile"), *t / ".dockerignore");
  ASSERT_TRUE(os::write_file_atomic(d, "Dockerfile.dockerignore", "b"));
  EXPECT_EQ(ignore_file_for(t->path(), *t / "Dockerfile"), *t / "Dockerfile.dockerignore");
}

}  // namespace
}  // namespace kiln::dockerfile
