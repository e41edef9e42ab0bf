// kiln version

#include "kiln/cli/context.hpp"
#include "kiln/cli/json_output.hpp"
#include "kiln/oci/platform.hpp"

namespace kiln::cli {

void add_version(CLI::App& app, Context& ctx) {
  auto format = std::make_shared<std::string>();
  auto* c = app.add_subcommand("version", "Show the kiln version");
  c->add_option("--format", *format, "json for machine-readable output");
  c->callback([&ctx, format] {
    std::string platform = oci::platform_string(oci::host_platform());
    if (*format == "json") {
      fmt::print("{}\n",
                 JsonObject().add("Version", KILN_VERSION).add("Platform", platform).dump());
    } else if (format->empty()) {
      fmt::print("kiln version {} ({})\n", KILN_VERSION, platform);
    } else {
      ctx.report(Error(Errc::invalid_argument, "version: --format takes only json"));
    }
  });
}

}  // namespace kiln::cli
