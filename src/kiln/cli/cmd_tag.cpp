// kiln tag SOURCE TARGET
#include "kiln/cli/context.hpp"
#include "kiln/store/store.hpp"

namespace kiln::cli {

void add_tag(CLI::App& app, Context& ctx) {
  auto src = std::make_shared<std::string>(), dst = std::make_shared<std::string>();
  auto* c = app.add_subcommand("tag", "Create a name TARGET that refers to the image SOURCE");
  c->add_option("source", *src, "Image name, ID or ID prefix")->required();
  c->add_option("target", *dst, "New name, e.g. registry:5000/app:1.0")->required();
  c->callback([&ctx, src, dst] {
    auto run = [&]() -> Status {
      auto target = KILN_TRY(oci::Reference::parse(*dst));
      if (target.digest)
        return failf(Errc::invalid_argument, "tag {}: a target name cannot contain a digest", *dst);
      auto* st = KILN_TRY(ctx.store());
      auto rec = KILN_TRY(st->resolve_top(*src));
      return st->set_name(target, rec.manifest_digest);
    };
    if (auto st = run(); !st) ctx.report(st.error());
  });
}

}  // namespace kiln::cli
