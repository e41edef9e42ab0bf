#include "kiln/os/subprocess.hpp"

#include <signal.h>
#include <sys/wait.h>

#include <gtest/gtest.h>

#include <chrono>

namespace kiln::os {
namespace {

TEST(Subprocess, FeedsStdinAndReadsStdout) {
  auto p = Subprocess::spawn({"cat"});
  ASSERT_TRUE(p) << p.error().message();
  auto done = p->communicate("hello\n");
  ASSERT_TRUE(done);
  EXPECT_EQ(done->exit_code, 0);
  EXPECT_EQ(done->out, "hello\n");
}

TEST(Subprocess, ExitCodesAndSignals) {
  auto p = Subprocess::spawn({"sh", "-c", "echo out; exit 3"});
  auto done = p->communicate("");
  EXPECT_EQ(done->exit_code, 3);
  EXPECT_EQ(done->out, "out\n");
  auto k = Subprocess::spawn({"sh", "-c", "kill -TERM $$"});
  EXPECT_EQ(k->communicate("")->exit_code, 128 + SIGTERM);
}

TEST(Subprocess, AMissingProgramIsAnError) {
  auto p = Subprocess::spawn({"kiln-no-such-program"});
  ASSERT_FALSE(p);
  EXPECT_EQ(p.error().message(), "run kiln-no-such-program: No such file or directory");
}

TEST(Subprocess, DestroyingOneNotWaitedForKillsAndReapsIt) {
  auto start = std::chrono::steady_clock::now();
  {
    auto p = Subprocess::spawn({"sh", "-c", "echo $$; exec sleep 100"});
    ASSERT_TRUE(p);
  }
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
  // No child is left: waitpid finds none to reap.
  EXPECT_EQ(::waitpid(-1, nullptr, WNOHANG), -1);
}

}  // namespace
}  // namespace kiln::os
