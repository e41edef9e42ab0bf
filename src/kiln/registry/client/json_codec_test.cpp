#include "kiln/registry/client/json_codec.hpp"

#include <gtest/gtest.h>

namespace kiln::registry::client::codec {
namespace {

TEST(ClientJsonCodec, RegistryAnswers) {
  auto e = parse_error_body(R"({"errors": [{"code": "DENIED", "message": "no", "detail": {}}]})");
  ASSERT_TRUE(e && *e);
  EXPECT_EQ((*e)->code, "DENIED");
  EXPECT_FALSE(*parse_error_body("<html>")) << "not an error body: no error either";
  auto bad = parse_error_body(R"({"errors": [{"code": 5}]})");
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().message(), "error body: \"code\" is not a string");

  auto t = parse_token_answer(R"({"access_token": "abc", "expires_in": 30})", "token");
  ASSERT_TRUE(t && *t);
  EXPECT_EQ((*t)->token, "abc");
  EXPECT_EQ((*t)->expires_in, 30);
  EXPECT_EQ((*parse_token_answer(R"({"token": "x"})", "token"))->expires_in, 60);
  EXPECT_FALSE(*parse_token_answer("nope", "token"));
  auto wrong = parse_token_answer(R"({"token": "x", "expires_in": "soon"})", "token");
  ASSERT_FALSE(wrong);
  EXPECT_EQ(wrong.error().message(), "token: \"expires_in\" is not an integer");

  EXPECT_EQ(*parse_tag_list(R"({"name": "a", "tags": ["v1", 2, "v3"]})", "tags"),
            (std::vector<std::string>{"v1", "v3"}));
  EXPECT_EQ(parse_tag_list("[]", "h/r: tags").error().message(), "h/r: tags: not a JSON object");
  EXPECT_EQ(*parse_insecure_registries(R"({"insecure-registries": ["a:5000"]})", "f"),
            std::vector<std::string>{"a:5000"});
  EXPECT_FALSE(parse_insecure_registries(R"({"insecure-registries": "a"})", "f"));
}

TEST(ClientJsonCodec, DockerConfigEditsKeepWhatTheyDoNotKnow) {
  std::string cfg = R"({"auths": {"other:5000": {"auth": "eDp5"}}, "proxies": {"default": {}},
                        "credHelpers": {"gcr.io": "gcloud"}, "credsStore": "desktop"})";
  EXPECT_TRUE(check_docker_config(cfg, "f"));
  EXPECT_FALSE(check_docker_config("[]", "f"));
  EXPECT_EQ(helper_for(cfg, "gcr.io"), "gcloud");
  EXPECT_EQ(helper_for(cfg, "quay.io"), "desktop");
  EXPECT_EQ(helper_for("{}", "quay.io"), "");

  std::string added = with_auth(cfg, "reg:5000", "dTpw", "");  // base64 "u:p"
  auto got = auth_entry(added, "f", "reg:5000");
  ASSERT_TRUE(got && *got);
  EXPECT_EQ((*got)->username, "u");
  EXPECT_EQ((*got)->password, "p");
  EXPECT_NE(added.find("\"proxies\""), std::string::npos);
  EXPECT_TRUE(*auth_entry(added, "f", "other:5000")) << "other entries stay";

  std::string tok = with_identity_token(added, "reg:5000", "refresh-1");
  EXPECT_EQ((*auth_entry(tok, "f", "reg:5000"))->username, "<token>");
  EXPECT_EQ((*auth_entry(tok, "f", "reg:5000"))->password, "refresh-1");

  auto removed = without_auth(tok, "reg:5000");
  ASSERT_TRUE(removed);
  EXPECT_FALSE(*auth_entry(*removed, "f", "reg:5000"));
  EXPECT_FALSE(without_auth(*removed, "reg:5000")) << "nothing to remove";

  // A URL key, as old docker versions wrote them, matches its host.
  EXPECT_TRUE(
      *auth_entry(R"({"auths": {"https://reg:5000/v1/": {"auth": "dTpw"}}})", "f", "reg:5000"));
  auto broken = auth_entry(R"({"auths": {"reg": {"auth": "bm9jb2xvbg=="}}})", "f", "reg");
  ASSERT_FALSE(broken);
  EXPECT_EQ(broken.error().message(), "f: auths.reg: auth is not \"user:password\"");
}

TEST(ClientJsonCodec, CredentialHelperProtocol) {
  EXPECT_EQ(helper_store_input("reg", "u", "s"),
            R"({"Secret":"s","ServerURL":"reg","Username":"u"})");
  auto c = parse_helper_answer(R"({"ServerURL": "reg", "Username": "u", "Secret": "s"})", "h");
  ASSERT_TRUE(c);
  EXPECT_EQ(c->password, "s");
  EXPECT_EQ(parse_helper_answer("oops", "h").error().message(),
            "credential helper h: unreadable answer");
  EXPECT_FALSE(parse_helper_answer(R"({"Username": []})", "h"));
}

}  // namespace
}  // namespace kiln::registry::client::codec
