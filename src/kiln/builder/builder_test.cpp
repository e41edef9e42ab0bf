// The build engine with a FakeExecutor: the plan each RUN gets (command, environment, user,
// working directory, network), the layer cache (hits, misses, what invalidates a step),
// stage scheduling (stages the target does not need never run; COPY --from), failure paths,
// and the image that comes out, all without running a process.
#include "kiln/builder/build.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <mutex>

#include "kiln/os/dir.hpp"
#include "kiln/os/temp_dir.hpp"
#include "kiln/sandbox/fake_executor.hpp"
#include "kiln/store/image_view.hpp"

namespace kiln::builder {
namespace {

using sandbox::FakeExecutor;

class QuietProgress final : public Progress {
 public:
  void step(int, const std::string&, int, int, const std::string& text) override {
    std::lock_guard lk(mu);
    steps.push_back(text);
  }
  void cached(int) override { ++cached_steps; }
  void done(int, double) override {}
  void failed(int, const std::string&) override {}
  void output(int, std::string_view line) override {
    std::lock_guard lk(mu);
    lines.emplace_back(line);
  }
  void warning(const std::string& m) override {
    std::lock_guard lk(mu);
    warnings.push_back(m);
  }
  void info(const std::string&) override {}
  std::mutex mu;
  std::vector<std::string> steps, lines, warnings;
  int cached_steps = 0;
};

class BuilderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    tmp = std::make_unique<os::TempDir>(*os::TempDir::create("builder"));
    store = std::move(*store::Store::open(*tmp / "store"));
    ctx = os::Dir::create(*tmp / "ctx").value();
  }
  void file(const std::string& name, const std::string& content) {
    ASSERT_TRUE(os::write_file_atomic(ctx, name, content, 0644));
  }
  Result<BuildResult> build(FakeExecutor& ex, BuildOptions o = {}) {
    o.context = *tmp / "ctx";
    if (o.tags.empty()) o.tags = {"test:latest"};
    QuietProgress p;
    auto r = build_image(*store, ex, o, p);
    warnings = p.warnings;
    return r;
  }
  store::ImageView image(const std::string& ref = "test:latest") {
    return std::move(*store::load_image(*store, ref));
  }

  std::unique_ptr<os::TempDir> tmp;
  std::unique_ptr<store::Store> store;
  os::Dir ctx;
  std::vector<std::string> warnings;
};

// Every RUN writes a file named after its script's last word, holding the whole script.
FakeExecutor::Script writes_marker() {
  return [](const sandbox::SandboxSpec& s, const sandbox::Stdio&) -> Result<sandbox::Outcome> {
    std::string script = s.args.back();
    std::string name = "ran-" + script.substr(script.rfind(' ') + 1);
    if (!FakeExecutor::write_file(s, name, script)) return fail(Errc::io, "fake: write failed");
    return sandbox::Outcome{};
  };
}

TEST_F(BuilderTest, RunGetsTheStepsPlan) {
  file("Dockerfile",
       "FROM scratch\n"
       "ARG VERSION=1.0\n"
       "ENV APP_HOME=/srv/app\n"
       "USER 1000:1000\n"
       "WORKDIR /srv\n"
       "RUN --network=none build $VERSION one\n"
       "RUN [\"/bin/tool\", \"--flag\", \"two\"]\n");
  FakeExecutor ex(writes_marker());
  auto r = build(ex);
  ASSERT_TRUE(r) << r.error().message();
  auto runs = ex.runs();
  ASSERT_EQ(runs.size(), 2u);
  EXPECT_EQ(runs[0].args, (std::vector<std::string>{"/bin/sh", "-c", "build $VERSION one"}));
  EXPECT_EQ(runs[1].args, (std::vector<std::string>{"/bin/tool", "--flag", "two"}));
  const auto& env = runs[0].env;
  EXPECT_NE(std::find(env.begin(), env.end(), "APP_HOME=/srv/app"), env.end());
  EXPECT_NE(std::find(env.begin(), env.end(), "VERSION=1.0"), env.end()) << "ARGs reach RUN";
  EXPECT_TRUE(std::any_of(env.begin(), env.end(),
                          [](const std::string& e) { return e.starts_with("PATH="); }));
  EXPECT_EQ(runs[0].user, "1000:1000");
  EXPECT_EQ(runs[0].cwd, "/srv");
  EXPECT_EQ(runs[0].network, sandbox::Network::none);
  EXPECT_EQ(runs[1].network, sandbox::Network::host);
  EXPECT_EQ(runs[0].hostname, "buildkitsandbox");

  auto img = image();
  EXPECT_EQ(img.manifest.layers.size(), 3u) << "WORKDIR /srv and two RUNs";
  EXPECT_EQ(img.config.config->user, "1000:1000");
  EXPECT_EQ(img.config.config->working_dir, "/srv");
  EXPECT_EQ(r->image_id, img.record.config_digest);
  ASSERT_EQ(img.config.history.size(), 6u);
  EXPECT_EQ(img.config.history[4].created_by,
            "RUN |1 VERSION=1.0 /bin/sh -c build $VERSION one # buildkit");
}

TEST_F(BuilderTest, SecondBuildIsAllCacheHitsAndTheSameImage) {
  file("Dockerfile", "FROM scratch\nCOPY a.txt /a.txt\nRUN step one\nRUN step two\n");
  file("a.txt", "A");
  FakeExecutor ex(writes_marker());
  auto first = build(ex);
  ASSERT_TRUE(first) << first.error().message();
  EXPECT_EQ(first->cached, 0);
  EXPECT_EQ(ex.runs().size(), 2u);
  auto second = build(ex);
  ASSERT_TRUE(second);
  EXPECT_EQ(ex.runs().size(), 2u) << "no RUN runs on a full cache hit";
  EXPECT_EQ(second->cached, 3);
  EXPECT_EQ(second->image_id, first->image_id);

  // --no-cache runs everything again.
  BuildOptions o;
  o.no_cache = true;
  ASSERT_TRUE(build(ex, o));
  EXPECT_EQ(ex.runs().size(), 4u);
}

TEST_F(BuilderTest, WhatInvalidatesAStep) {
  file("Dockerfile", "FROM scratch\nARG V=1\nRUN first\nCOPY a.txt /a.txt\nRUN after-copy $V\n");
  file("a.txt", "A");
  FakeExecutor ex(writes_marker());
  ASSERT_TRUE(build(ex));
  EXPECT_EQ(ex.scripts(), (std::vector<std::string>{"first", "after-copy $V"}));

  // New content in a copied file: the COPY and every step after it run again, not before.
  file("a.txt", "B");
  auto r = build(ex);
  ASSERT_TRUE(r);
  EXPECT_EQ(ex.scripts(), (std::vector<std::string>{"first", "after-copy $V", "after-copy $V"}));
  EXPECT_EQ(r->cached, 1);

  // A build arg in scope is part of every later RUN's key, even where the text does not change.
  BuildOptions o;
  o.build_args = {{"V", "2"}};
  ASSERT_TRUE(build(ex, o));
  auto runs = ex.runs();
  ASSERT_EQ(runs.size(), 5u);
  EXPECT_EQ(runs[3].args.back(), "first");
  EXPECT_NE(std::find(runs[4].env.begin(), runs[4].env.end(), "V=2"), runs[4].env.end());

  // A file the build does not copy changes nothing.
  file("unrelated.txt", "x");
  o.build_args = {};
  auto again = build(ex);
  ASSERT_TRUE(again);
  EXPECT_EQ(ex.runs().size(), 5u);
}

TEST_F(BuilderTest, OnlyTheStagesTheTargetNeedsRun) {
  file("Dockerfile",
       "FROM scratch AS base\nRUN base-step\n"
       "FROM base AS unused\nRUN unused-step\n"
       "FROM scratch AS tools\nRUN tools-step\n"
       "FROM base\nCOPY --from=tools /ran-tools-step /from-tools\nRUN final-step\n");
  FakeExecutor ex(writes_marker());
  auto r = build(ex);
  ASSERT_TRUE(r) << r.error().message();
  auto scripts = ex.scripts();
  std::sort(scripts.begin(), scripts.end());
  EXPECT_EQ(scripts, (std::vector<std::string>{"base-step", "final-step", "tools-step"}));

  // --target picks a stage: only it and what it needs.
  BuildOptions o;
  o.target = "unused";
  o.tags = {"test:unused"};
  ASSERT_TRUE(build(ex, o));
  EXPECT_EQ(ex.runs().size(), 4u);
  EXPECT_EQ(ex.scripts().back(), "unused-step");
}

TEST_F(BuilderTest, AFailingRunFailsTheBuildAndStoresNothing) {
  file("Dockerfile", "FROM scratch\nRUN good\nRUN bad\n");
  FakeExecutor ex(
      [](const sandbox::SandboxSpec& s, const sandbox::Stdio& io) -> Result<sandbox::Outcome> {
        sandbox::Outcome o;
        if (s.args.back() == "bad") {
          std::string msg = "something broke\n";
          EXPECT_EQ(::write(io.out, msg.data(), msg.size()), static_cast<ssize_t>(msg.size()));
          o.exit_code = 3;
        }
        return o;
      });
  auto r = build(ex);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code(), Errc::failed);
  const auto& m = r.error().message();
  EXPECT_NE(m.find("process \"/bin/sh -c bad\" did not complete successfully: exit code: 3"),
            std::string::npos)
      << m;
  EXPECT_NE(m.find("something broke"), std::string::npos) << "the output's tail: " << m;
  EXPECT_FALSE(store::load_image(*store, "test:latest")) << "no image on failure";

  // The step before the failure is cached: fixing the failure reruns only the broken step.
  file("Dockerfile", "FROM scratch\nRUN good\nRUN fixed\n");
  ASSERT_TRUE(build(ex));
  EXPECT_EQ(ex.scripts(), (std::vector<std::string>{"good", "bad", "fixed"}));
}

TEST_F(BuilderTest, ExecutorErrorsAndMissingCommands) {
  file("Dockerfile", "FROM scratch\nRUN anything\n");
  FakeExecutor broken(
      [](const sandbox::SandboxSpec&, const sandbox::Stdio&) -> Result<sandbox::Outcome> {
        return fail(Errc::io, "cannot create the sandbox");
      });
  auto r = build(broken);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message().find("cannot create the sandbox"), std::string::npos)
      << r.error().message();

  FakeExecutor missing(
      [](const sandbox::SandboxSpec&, const sandbox::Stdio&) -> Result<sandbox::Outcome> {
        sandbox::Outcome o;
        o.exit_code = 127;
        o.exec_error = "exec /bin/sh: no such file or directory";
        return o;
      });
  auto m = build(missing);
  ASSERT_FALSE(m);
  EXPECT_NE(m.error().message().find("exit code: 127\nexec /bin/sh: no such file or directory"),
            std::string::npos)
      << m.error().message();
}

TEST_F(BuilderTest, MetadataOnlyStepsMakeNoLayerAndUnusedArgsWarn) {
  file("Dockerfile",
       "FROM scratch\nLABEL a=b\nENV X=1\nEXPOSE 80\nCMD [\"/app\"]\nENTRYPOINT [\"/init\"]\n");
  FakeExecutor ex;
  BuildOptions o;
  o.build_args = {{"NOPE", "1"}};
  auto r = build(ex, o);
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_TRUE(ex.runs().empty());
  auto img = image();
  EXPECT_TRUE(img.manifest.layers.empty());
  EXPECT_EQ(img.config.config->labels.at("a"), "b");
  EXPECT_EQ(*img.config.config->cmd, std::vector<std::string>{"/app"});
  EXPECT_EQ(img.config.config->exposed_ports, std::vector<std::string>{"80/tcp"});
  ASSERT_EQ(warnings.size(), 1u);
  EXPECT_EQ(warnings[0], "build-arg \"NOPE\" was given but not consumed by any ARG");
}

}  // namespace
}  // namespace kiln::builder
