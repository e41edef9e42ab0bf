#include "kiln/cli/signing_cli.hpp"

#include <fcntl.h>
#include <termios.h>
#include <unistd.h>

#include <cstdlib>

#include "kiln/base/fd.hpp"
#include "kiln/os/dir.hpp"

namespace kiln::cli {
namespace {

Result<std::string> prompt_tty(std::string_view prompt) {
  int fd = ::open("/dev/tty", O_RDWR | O_CLOEXEC);
  if (fd < 0)
    return fail(Errc::invalid_argument,
                "the key's password: set KILN_PASSWORD (no terminal to ask on)");
  Fd tty(fd);
  (void)os::write_all(fd, prompt.data(), prompt.size());
  termios old{};
  bool restore = tcgetattr(fd, &old) == 0;
  if (restore) {
    termios quiet = old;
    quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
    tcsetattr(fd, TCSAFLUSH, &quiet);
  }
  std::string line;
  char c;
  while (::read(fd, &c, 1) == 1 && c != '\n') line += c;
  if (restore) tcsetattr(fd, TCSAFLUSH, &old);
  (void)os::write_all(fd, "\n", 1);
  return line;
}

template <class Args>
void on_run(CLI::App* c, Context& ctx, std::shared_ptr<Args> a,
            std::function<Status(Context&, const Args&)> f) {
  c->callback([&ctx, a, f] {
    if (auto st = f(ctx, *a); !st) ctx.report(st.error());
  });
}

std::string attach_what(std::string_view kind) {
  if (kind == "sbom") return "an SPDX or CycloneDX SBOM";
  if (kind == "scan") return "a scan result (kiln scan --format json)";
  return "an in-toto predicate";
}

void define_attach(CLI::App& app, Context& ctx, const SigningHandlers& h) {
  auto* at = app.add_subcommand(
      "attach",
      "Attach an SBOM, a scan result or an attestation to an image as an OCI 1.1 "
      "referrer (an in-toto statement; signed in a DSSE envelope with --key)");
  at->require_subcommand(1);
  for (const char* kind : {"sbom", "scan", "attestation"}) {
    auto a = std::make_shared<AttachArgs>();
    a->kind = kind;
    auto* c = at->add_subcommand(kind, "Attach " + attach_what(kind) + " to an image");
    c->add_option("--predicate", a->predicate, "The predicate: a JSON file")->required();
    c->add_option("--type", a->type, "The predicate type URI (attestation: required)");
    c->add_option("--key", a->key, "Sign the statement with this private key (DSSE envelope)");
    c->add_option("image", a->ref, "docker://HOST/REPO[:TAG|@DIGEST]")->required();
    add_registry_flags(c, a->reg);
    on_run(c, ctx, a, h.attach);
  }
  auto t = std::make_shared<TreeArgs>();
  auto* c = app.add_subcommand(
      "tree", "List what refers to an image: signatures, SBOMs, attestations (as oras discover)");
  c->add_option("--format", t->format, "text or json")->capture_default_str();
  c->add_option("image", t->ref, "docker://HOST/REPO[:TAG|@DIGEST]")->required();
  add_registry_flags(c, t->reg);
  on_run(c, ctx, t, h.tree);
}

}  // namespace

Result<std::string> key_password(bool confirm) {
  for (const char* var : {"KILN_PASSWORD", "COSIGN_PASSWORD"})
    if (const char* p = std::getenv(var)) return std::string(p);
  auto pw = KILN_TRY(prompt_tty("Enter password for private key: "));
  if (confirm) {
    auto again = KILN_TRY(prompt_tty("Enter password for private key again: "));
    if (again != pw) return fail(Errc::invalid_argument, "the passwords do not match");
  }
  return pw;
}

void define_signing(CLI::App& app, Context& ctx, SigningHandlers h) {
  auto* key = app.add_subcommand("key", "Manage signing keys (cosign's formats)");
  key->require_subcommand(1);
  auto ka = std::make_shared<KeyArgs>();
  auto* c = key->add_subcommand(
      "generate",
      "Create an ECDSA P-256 key pair: PREFIX.key (encrypted as cosign does; password "
      "from KILN_PASSWORD or asked) and PREFIX.pub");
  c->add_option("--output-key-prefix", ka->prefix, "Path and file name without extension")
      ->capture_default_str();
  c->add_flag("--force", ka->force, "Overwrite existing key files");
  on_run(c, ctx, ka, h.key);

  auto sa = std::make_shared<SignArgs>();
  c = app.add_subcommand("sign", "Sign an image in a registry as cosign does (keyed mode)");
  c->add_option("--key", sa->key, "Private key file (cosign's encrypted PEM or PKCS#8 PEM)")
      ->required();
  c->add_option("-a,--annotations", sa->annotations, "KEY=VALUE added to the signed payload");
  c->add_option("--registry-referrers-mode", sa->mode,
                "legacy (cosign's sha256-<digest>.sig tag) or oci-1-1 (an OCI 1.1 referrer)")
      ->capture_default_str();
  c->add_option("image", sa->ref, "docker://HOST/REPO[:TAG|@DIGEST]")->required();
  add_registry_flags(c, sa->reg);
  on_run(c, ctx, sa, h.sign);

  auto va = std::make_shared<VerifyArgs>();
  c = app.add_subcommand("verify",
                         "Verify an image's cosign signatures with public keys; prints the "
                         "verified payloads");
  c->add_option("--key", va->keys, "Public key file (PEM); repeat to allow several")->required();
  c->add_option("--format", va->format, "json (the payloads, as cosign prints them) or text")
      ->capture_default_str();
  c->add_flag("-q,--quiet", va->quiet, "No summary of the checks on stderr");
  c->add_option("image", va->ref, "docker://HOST/REPO[:TAG|@DIGEST]")->required();
  add_registry_flags(c, va->reg);
  on_run(c, ctx, va, h.verify);
  define_attach(app, ctx, h);
}

}  // namespace kiln::cli
