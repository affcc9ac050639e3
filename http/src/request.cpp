#include "looplive/http/request.hpp"

#include "looplive/http/util.hpp"

namespace looplive::http {

std::string_view Request::path() const {
  return split_path_and_query(target()).path;
}

std::string_view Request::query() const {
  return split_path_and_query(target()).query;
}

}  // namespace looplive::http
