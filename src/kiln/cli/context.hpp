// What every command gets: global options, the lazily opened store, output helpers.
#pragma once

#include <CLI/CLI.hpp>

#include <memory>
#include <string>
#include <vector>

#include "kiln/base/error.hpp"

namespace kiln::store {
class Store;
}

namespace kiln::cli {

struct Context {
  std::string root;               // --root / KILN_ROOT / default
  std::vector<std::string> argv;  // the command line as given (handed on to helpers)
  bool debug = false;             // --debug / KILN_DEBUG
  int exit_code = 0;
  std::shared_ptr<store::Store> store_ptr;

  // Opens the store at `root` on first use (cli/context_store.cpp: linked into kiln, not into
  // kiln-registry, which has no local store).
  Result<store::Store*> store();
  // Prints "kiln: <message>" to stderr and sets the exit code for the error's class.
  void report(const Error& e);
};

// The global options (--root, --debug) of kiln and of kiln-registry, which must parse the same
// command line when kiln hands `kiln registry` over. `default_root` is what --root shows and
// means when neither it nor $KILN_ROOT is given.
void add_global_options(CLI::App& app, Context& ctx, const std::string& default_root = "");
// The store's default place (store::paths::default_root; cli/context_store.cpp).
std::string default_store_root();
// Parses argv and runs the chosen command; returns the process's exit code.
int run(CLI::App& app, Context& ctx, int argc, char** argv);

// Exit codes by error class (docs/cli.md).
int exit_code_for(Errc code);
// An exception that reached the command boundary: a bug, reported, never a core dump.
inline constexpr int k_exit_internal = 125;
bool stdout_is_terminal();
bool stderr_is_terminal();

// Aligned columns as docker prints them (minimum width 10, three spaces between columns).
void print_table(const std::vector<std::vector<std::string>>& rows);
// "--format": "" (table), "json", "table TEMPLATE" or a Go template.
struct RowFormat {
  enum Kind { table, json, tmpl } kind = table;
  std::string text;     // the template, with literal "\\t" and "\\n" turned into tab / newline
  bool header = false;  // "table TEMPLATE": print a header row and align columns
};
RowFormat parse_row_format(const std::string& f);

// Registration of every command (one file each).
void add_import(CLI::App& app, Context& ctx);
void add_images(CLI::App& app, Context& ctx);
void add_tag(CLI::App& app, Context& ctx);
void add_tags(CLI::App& app, Context& ctx);  // and rollback
void add_outdated(CLI::App& app, Context& ctx);
void add_layer_job(CLI::App& app, Context& ctx);  // internal, for kiln build
void add_rmi(CLI::App& app, Context& ctx);
void add_inspect(CLI::App& app, Context& ctx);
void add_history(CLI::App& app, Context& ctx);
void add_version(CLI::App& app, Context& ctx);
void add_system(CLI::App& app, Context& ctx);
void add_dockerfile(CLI::App& app, Context& ctx);
void add_export(CLI::App& app, Context& ctx);
void add_run(CLI::App& app, Context& ctx);
void add_signing(CLI::App& app, Context& ctx);  // key, sign, verify, attach, tree
void add_containers(CLI::App& app, Context& ctx);
void add_build(CLI::App& app, Context& ctx);
void add_save(CLI::App& app, Context& ctx);
void add_load(CLI::App& app, Context& ctx);
void add_copy(CLI::App& app, Context& ctx);
void add_registry_commands(CLI::App& app, Context& ctx);
void add_registry_server(CLI::App& app, Context& ctx);
void add_sbom(CLI::App& app, Context& ctx);
void add_scan(CLI::App& app, Context& ctx);
void add_db(CLI::App& app, Context& ctx);
void add_lint(CLI::App& app, Context& ctx);
void add_analyze(CLI::App& app, Context& ctx);

}  // namespace kiln::cli
