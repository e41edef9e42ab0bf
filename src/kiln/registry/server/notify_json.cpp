// The notification envelope as Distribution writes it (notifications/event.go): events with
// target, request, actor and source.
#include <nlohmann/json.hpp>

#include "kiln/registry/server/notify.hpp"

namespace kiln::registry::server {

std::string notify_envelope_json(const std::vector<NotifyEvent>& events) {
  nlohmann::json list = nlohmann::json::array();
  for (const auto& e : events) {
    nlohmann::json target = {{"mediaType", e.media_type},  {"size", e.size},
                             {"digest", e.digest},         {"length", e.size},
                             {"repository", e.repository}, {"url", e.url}};
    if (!e.tag.empty()) target["tag"] = e.tag;
    if (!e.from_repository.empty()) target["fromRepository"] = e.from_repository;
    list.push_back(
        {{"id", e.id},
         {"timestamp", e.timestamp},
         {"action", e.action},
         {"target", std::move(target)},
         {"request",
          {{"id", e.request_id},
           {"addr", e.request_addr},
           {"host", e.request_host},
           {"method", e.request_method},
           {"useragent", e.user_agent}}},
         {"actor", e.actor.empty() ? nlohmann::json::object() : nlohmann::json{{"name", e.actor}}},
         {"source", {{"addr", e.source_addr}}}});
  }
  return nlohmann::json{{"events", std::move(list)}}.dump(-1, ' ', false,
                                                          nlohmann::json::error_handler_t::replace);
}

}  // namespace kiln::registry::server
