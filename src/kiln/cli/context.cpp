#include "kiln/cli/context.hpp"

#include <unistd.h>

#include <fmt/format.h>

#include <cstdlib>

#include "kiln/base/log.hpp"
#include "kiln/base/strings.hpp"
#include "kiln/io/compress.hpp"

namespace kiln::cli {

namespace {

// --max-decompressed-size and --max-decompression-ratio (also $KILN_MAX_DECOMPRESSED_SIZE and
// $KILN_MAX_DECOMPRESSION_RATIO; a flag wins): the process-wide io::DecompressLimits.
std::optional<std::string> set_limit(const std::string& name, const std::string& v) {
  auto l = io::decompress_limits();
  if (name == "size") {
    auto n = parse_byte_size(v);
    if (!n) return fmt::format("\"{}\" is not a size (e.g. 64G, 512M; 0 for no limit)", v);
    l.max_bytes = *n;
  } else {
    auto n = parse_int(v);
    if (!n || *n < 0) return fmt::format("\"{}\" is not a ratio (e.g. 100; 0 for no limit)", v);
    l.max_ratio = *n;
  }
  io::set_decompress_limits(l);
  return std::nullopt;
}

void add_limit_options(CLI::App& app) {
  for (auto [var, name] : {std::pair{"KILN_MAX_DECOMPRESSED_SIZE", "size"},
                           std::pair{"KILN_MAX_DECOMPRESSION_RATIO", "ratio"}})
    if (const char* e = std::getenv(var); e && *e)
      if (auto bad = set_limit(name, e)) fmt::print(stderr, "kiln: ${}: {} (ignored)\n", var, *bad);
  auto apply = [](const char* name) {
    return [name](const std::string& v) {
      if (auto bad = set_limit(name, v)) throw CLI::ValidationError(*bad);
    };
  };
  app.add_option_function<std::string>("--max-decompressed-size", apply("size"),
                                       "Refuse a compressed layer or archive that decompresses "
                                       "to more than SIZE (default 64G; 0: no limit)")
      ->type_name("SIZE");
  app.add_option_function<std::string>("--max-decompression-ratio", apply("ratio"),
                                       "Refuse a compressed layer or archive that decompresses "
                                       "past 256M to more than N times its size (default 100; "
                                       "0: no limit)")
      ->type_name("N");
}

}  // namespace

void add_global_options(CLI::App& app, Context& ctx, const std::string& default_root) {
  const char* env_root = std::getenv("KILN_ROOT");
  ctx.root = env_root && *env_root ? env_root : default_root;
  app.add_option("--root", ctx.root, "Store directory (default: $KILN_ROOT, /var/lib/kiln as root)")
      ->capture_default_str();
  ctx.debug = std::getenv("KILN_DEBUG") != nullptr;
  app.add_flag("--debug", ctx.debug, "Print debug messages");
  add_limit_options(app);
  app.parse_complete_callback([&ctx] {
    if (ctx.debug) log::set_level(log::Level::debug);
  });
}

int run(CLI::App& app, Context& ctx, int argc, char** argv) {
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == 0) return app.exit(e);  // --help, --help-all
    fmt::print(stderr, "kiln: {}\nRun 'kiln --help' or 'kiln COMMAND --help' for usage.\n",
               e.what());
    return 2;
  } catch (const std::exception& e) {
    // Errors are values; an exception reaching here is a bug in kiln or a library it wraps.
    // Report it and exit as docker does for its own failures, never with a core dump.
    fmt::print(stderr, "kiln: internal error: {}\n", e.what());
    return k_exit_internal;
  } catch (...) {
    fmt::print(stderr, "kiln: internal error: an unknown exception\n");
    return k_exit_internal;
  }
  return ctx.exit_code;
}

int exit_code_for(Errc code) {
  switch (code) {
    case Errc::invalid_argument:
      return 2;
    case Errc::not_found:
      return 3;
    case Errc::conflict:
    case Errc::already_exists:
      return 4;
    case Errc::corrupt:
      return 5;
    case Errc::unauthorized:
    case Errc::permission_denied:
      return 6;
    case Errc::no_space:
      return 7;
    case Errc::unsupported:
      return 8;
    case Errc::cancelled:
      return 130;
    default:
      return 1;
  }
}

void Context::report(const Error& e) {
  fmt::print(stderr, "kiln: {}\n", e.message());
  if (exit_code == 0) exit_code = exit_code_for(e.code());
}

bool stdout_is_terminal() {
  return isatty(1) == 1;
}
bool stderr_is_terminal() {
  return isatty(2) == 1;
}

void print_table(const std::vector<std::vector<std::string>>& rows) {
  std::vector<size_t> widths;
  for (const auto& r : rows)
    for (size_t i = 0; i < r.size(); ++i) {
      if (widths.size() <= i) widths.push_back(0);
      widths[i] = std::max(widths[i], r[i].size());
    }
  for (const auto& r : rows) {
    std::string line;
    for (size_t i = 0; i < r.size(); ++i) {
      line += r[i];
      if (i + 1 < r.size())
        line += std::string(std::max<size_t>(widths[i], 7) + 3 - r[i].size(), ' ');
    }
    while (!line.empty() && line.back() == ' ') line.pop_back();
    fmt::print("{}\n", line);
  }
}

RowFormat parse_row_format(const std::string& f) {
  if (f.empty() || f == "table") return {RowFormat::table, ""};
  if (f == "json" || f == "{{json .}}") return {RowFormat::json, ""};
  bool header = f.starts_with("table ");
  std::string t = header ? f.substr(6) : f;
  for (size_t p; (p = t.find("\\t")) != std::string::npos;) t.replace(p, 2, "\t");
  for (size_t p; (p = t.find("\\n")) != std::string::npos;) t.replace(p, 2, "\n");
  return {RowFormat::tmpl, t, header};
}

}  // namespace kiln::cli
