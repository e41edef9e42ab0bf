// kiln analyze [--format tty|json|html] [-o FILE] [--ci --max-waste P --min-efficiency E] IMAGE
#include "kiln/base/strings.hpp"
#include "kiln/cli/scan_common.hpp"
#include "kiln/lint/analyze.hpp"
#include "kiln/lint/policy.hpp"
#include "kiln/transport/out_file.hpp"

namespace kiln::cli {

namespace {

struct AnalyzeArgs {
  std::string image, format = "tty", output, platform;
  std::string max_waste, min_efficiency, max_wasted_bytes;
  bool ci = false, files = false;
  RegistryFlags reg;
};

Result<double> parse_fraction(const std::string& s, std::string_view flag) {
  return KILN_TRY_CTX(lint::parse_fraction(s), fmt::format("analyze: {}", flag));
}

// --ci: one line per failed threshold.
Result<std::vector<std::string>> thresholds(const AnalyzeArgs& a, const lint::Analysis& r) {
  std::vector<std::string> failed;
  std::string waste = a.max_waste.empty() ? "10%" : a.max_waste;
  std::string eff = a.min_efficiency.empty() ? "0.9" : a.min_efficiency;
  double max_waste = KILN_TRY(parse_fraction(waste, "--max-waste"));
  double min_eff = KILN_TRY(parse_fraction(eff, "--min-efficiency"));
  if (r.user_wasted_percent > max_waste)
    failed.push_back(
        fmt::format("FAIL: wasted {:.2f} % of the layers above the first ({}), more "
                    "than --max-waste {}",
                    r.user_wasted_percent * 100, human_size(r.wasted_bytes), waste));
  if (r.efficiency < min_eff)
    failed.push_back(
        fmt::format("FAIL: efficiency {:.4f} is below --min-efficiency {}", r.efficiency, eff));
  if (!a.max_wasted_bytes.empty()) {
    auto limit = parse_byte_size(a.max_wasted_bytes);
    if (!limit)
      return failf(Errc::invalid_argument, "analyze: --max-wasted-bytes \"{}\" is not a size",
                   a.max_wasted_bytes);
    if (r.wasted_bytes > *limit)
      failed.push_back(fmt::format("FAIL: wasted {} bytes, more than --max-wasted-bytes {}",
                                   r.wasted_bytes, a.max_wasted_bytes));
  }
  return failed;
}

Status run(Context& ctx, const AnalyzeArgs& a) {
  if (a.format != "tty" && a.format != "json" && a.format != "html")
    return failf(Errc::invalid_argument,
                 "analyze: unknown --format \"{}\" (want tty, json or html)", a.format);
  // Bad thresholds are reported before any image is read.
  if (a.ci) (void)KILN_TRY(thresholds(a, lint::Analysis{}));
  auto opened = KILN_TRY(open_image(ctx, a.image, a.platform, a.reg, "analyze"));
  lint::AnalyzeOptions o;
  o.history_locations = std::move(opened.history_locations);
  if (stderr_is_terminal())
    o.on_layer = [](size_t i, size_t n) {
      fmt::print(stderr, "\rReading layer {}/{}", i, n);
      if (i == n) fmt::print(stderr, "\r\033[K");
    };
  auto r = KILN_TRY_CTX(lint::analyze_image(*opened.source, opened.image, o),
                        fmt::format("analyze {}", a.image));
  std::string text = a.format == "json" ? lint::analysis_json(r, a.image, a.files)
                     : a.format == "html"
                         ? lint::analysis_html(r, a.image)
                         : lint::analysis_tty(r, a.image, a.output.empty() && stdout_is_terminal());
  if (!a.output.empty() && a.output != "-") {
    KILN_TRY(transport::write_out_file(a.output, text));  // /dev/null: written in place
  } else {
    fmt::print("{}", text);
    std::fflush(stdout);
  }
  if (a.ci) {
    auto failed = KILN_TRY(thresholds(a, r));
    for (const auto& f : failed) fmt::print(stderr, "{}\n", f);
    if (!failed.empty()) ctx.exit_code = 1;
  }
  return {};
}

}  // namespace

void add_analyze(CLI::App& app, Context& ctx) {
  auto a = std::make_shared<AnalyzeArgs>();
  auto* c = app.add_subcommand(
      "analyze", "Show what each layer adds and the space it wastes, with the line that made it");
  c->add_option("image", a->image, "Image (store name or ID, docker://, oci:, docker-archive:)")
      ->required();
  c->add_option("--format", a->format, "tty, json or html (one self-contained page)")
      ->capture_default_str();
  c->add_option("-o,--output", a->output, "Write the report to this file instead of stdout");
  c->add_flag("--files", a->files, "json: list every layer's file changes");
  c->add_option("--platform", a->platform, "Platform of a multi-platform image (os/arch)");
  c->add_flag("--ci", a->ci, "Exit 1 when a threshold fails, one line per failure on stderr");
  c->add_option("--max-waste", a->max_waste,
                "--ci: most wasted share of the layers above the first (default 10%)");
  c->add_option("--min-efficiency", a->min_efficiency, "--ci: lowest efficiency (default 0.9)");
  c->add_option("--max-wasted-bytes", a->max_wasted_bytes, "--ci: most wasted bytes (e.g. 20MB)");
  add_registry_flags(c, a->reg);
  c->callback([&ctx, a] {
    if (auto st = run(ctx, *a); !st) ctx.report(st.error());
  });
}

}  // namespace kiln::cli
