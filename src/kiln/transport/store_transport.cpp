// kiln://: the store's own Source and Sink (store/image_sink.hpp) under the transport names.
#include "kiln/transport/store_transport.hpp"

#include "kiln/store/image_sink.hpp"

namespace kiln::transport {

Result<std::unique_ptr<image::Source>> store_source(store::Store& store, std::string_view ref) {
  return store::image_source(store, ref);
}

Result<std::unique_ptr<image::Sink>> store_sink(store::Store& store, std::string ref) {
  return store::image_sink(store, std::move(ref));
}

}  // namespace kiln::transport
