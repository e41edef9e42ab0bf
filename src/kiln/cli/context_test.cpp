// The command boundary: exit codes, the decompression-limit options, and the catch-all that
// turns an escaped exception into exit status 125 instead of std::terminate.
#include "kiln/cli/context.hpp"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <stdexcept>

#include "kiln/io/compress.hpp"

namespace kiln::cli {
namespace {

int run_with(CLI::App& app, Context& ctx, std::vector<std::string> args) {
  std::vector<char*> argv;
  std::string prog = "kiln";
  argv.push_back(prog.data());
  for (auto& a : args) argv.push_back(a.data());
  return run(app, ctx, static_cast<int>(argv.size()), argv.data());
}

TEST(CommandBoundary, AnEscapedExceptionIsAnInternalErrorNotACrash) {
  CLI::App app("test");
  Context ctx;
  add_global_options(app, ctx);
  auto* json_cmd = app.add_subcommand("json", "");
  json_cmd->callback([] {
    nlohmann::json j = {{"code", 5}};
    (void)j["code"].get<std::string>();  // type_error, as a wrongly typed field would throw
  });
  auto* other = app.add_subcommand("other", "");
  other->callback([] { throw 42; });
  testing::internal::CaptureStderr();
  EXPECT_EQ(run_with(app, ctx, {"json"}), k_exit_internal);
  std::string err = testing::internal::GetCapturedStderr();
  EXPECT_NE(err.find("kiln: internal error: "), std::string::npos) << err;
  EXPECT_NE(err.find("type must be string"), std::string::npos) << err;
  testing::internal::CaptureStderr();
  EXPECT_EQ(run_with(app, ctx, {"other"}), k_exit_internal);
  EXPECT_NE(testing::internal::GetCapturedStderr().find("unknown exception"), std::string::npos);
}

TEST(CommandBoundary, DecompressionLimitOptions) {
  auto saved = io::decompress_limits();
  CLI::App app("test");
  Context ctx;
  add_global_options(app, ctx);
  app.add_subcommand("noop", "");
  EXPECT_EQ(run_with(app, ctx,
                     {"--max-decompressed-size", "10G", "--max-decompression-ratio", "7", "noop"}),
            0);
  EXPECT_EQ(io::decompress_limits().max_bytes, int64_t{10} << 30);
  EXPECT_EQ(io::decompress_limits().max_ratio, 7);
  testing::internal::CaptureStderr();
  EXPECT_EQ(run_with(app, ctx, {"--max-decompressed-size", "lots", "noop"}), 2);
  EXPECT_NE(testing::internal::GetCapturedStderr().find("\"lots\" is not a size"),
            std::string::npos);
  io::set_decompress_limits(saved);
}

TEST(CommandBoundary, ExitCodesFollowDocsCli) {
  EXPECT_EQ(exit_code_for(Errc::invalid_argument), 2);
  EXPECT_EQ(exit_code_for(Errc::not_found), 3);
  EXPECT_EQ(exit_code_for(Errc::corrupt), 5);
  EXPECT_EQ(exit_code_for(Errc::io), 1);
}

}  // namespace
}  // namespace kiln::cli
