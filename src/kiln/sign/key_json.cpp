#include "kiln/sign/key_json.hpp"

#include <nlohmann/json.hpp>

#include "kiln/net/http.hpp"

namespace kiln::sign {

std::string sealed_key_json(const SealedKey& k) {
  nlohmann::ordered_json j;
  j["kdf"]["name"] = "scrypt";
  j["kdf"]["params"]["N"] = k.n;
  j["kdf"]["params"]["r"] = k.r;
  j["kdf"]["params"]["p"] = k.p;
  j["kdf"]["salt"] = net::base64_encode(k.salt);
  j["cipher"]["name"] = "nacl/secretbox";
  j["cipher"]["nonce"] = net::base64_encode(k.nonce);
  j["ciphertext"] = net::base64_encode(k.ciphertext);
  return j.dump();
}

Result<SealedKey> parse_sealed_key_json(std::string_view text, std::string_view what) {
  auto bad = [&](std::string_view why) {
    return failf(Errc::invalid_argument, "{}: not a cosign encrypted key: {}", what, why);
  };
  auto j = nlohmann::json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return bad("the PEM body is not a JSON object");
  try {
    const auto& kdf = j.at("kdf");
    const auto& cipher = j.at("cipher");
    if (kdf.at("name").get<std::string>() != "scrypt")
      return bad(fmt::format("key derivation \"{}\" (kiln reads scrypt)",
                             kdf.at("name").get<std::string>()));
    if (cipher.at("name").get<std::string>() != "nacl/secretbox")
      return bad(fmt::format("cipher \"{}\" (kiln reads nacl/secretbox)",
                             cipher.at("name").get<std::string>()));
    SealedKey k;
    k.n = kdf.at("params").at("N").get<uint64_t>();
    k.r = kdf.at("params").at("r").get<uint32_t>();
    k.p = kdf.at("params").at("p").get<uint32_t>();
    auto salt = net::base64_decode(kdf.at("salt").get<std::string>());
    auto nonce = net::base64_decode(cipher.at("nonce").get<std::string>());
    auto ct = net::base64_decode(j.at("ciphertext").get<std::string>());
    if (!salt || !nonce || !ct) return bad("salt, nonce or ciphertext is not base64");
    k.salt = std::move(*salt);
    k.nonce = std::move(*nonce);
    k.ciphertext = std::move(*ct);
    return k;
  } catch (const nlohmann::json::exception&) {
    return bad("kdf, cipher or ciphertext is missing or of the wrong type");
  }
}

}  // namespace kiln::sign
