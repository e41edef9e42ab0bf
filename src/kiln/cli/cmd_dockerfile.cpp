// kiln dockerfile parse [--format json|dump] FILE
#include "kiln/cli/context.hpp"
#include "kiln/dockerfile/ast.hpp"
#include "kiln/dockerfile/instructions.hpp"
#include "kiln/os/dir.hpp"

namespace kiln::cli {

void add_dockerfile(CLI::App& app, Context& ctx) {
  auto* d = app.add_subcommand("dockerfile", "Work with Dockerfiles without building them");
  d->require_subcommand(1);
  auto file = std::make_shared<std::string>(), format = std::make_shared<std::string>("json");
  auto* p =
      d->add_subcommand("parse", "Parse and validate a Dockerfile, then print its syntax tree");
  p->add_option("file", *file, "The Dockerfile (- for stdin)")->required();
  p->add_option("--format", *format,
                "json (documented in docs/dockerfile.md) or dump (BuildKit's AST dump)")
      ->capture_default_str();
  p->callback([&ctx, file, format] {
    auto run = [&]() -> Status {
      if (*format != "json" && *format != "dump")
        return failf(Errc::invalid_argument,
                     "dockerfile parse: unknown --format \"{}\" (want json or dump)", *format);
      std::string text = *file == "-" ? KILN_TRY(os::read_fd(0)) : KILN_TRY(os::read_file(*file));
      auto ast = KILN_TRY(dockerfile::parse(text, *file == "-" ? "Dockerfile" : *file));
      // Validate every instruction too (unknown instructions, bad flags, ...), as a build would.
      KILN_TRY(dockerfile::parse_instructions(ast));
      fmt::print("{}", *format == "dump" ? dockerfile::dump(ast) : dockerfile::to_json(ast) + "\n");
      return {};
    };
    if (auto st = run(); !st) ctx.report(st.error());
  });
}

}  // namespace kiln::cli
