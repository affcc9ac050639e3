#include "webhook_client.hpp"

#include <curl/curl.h>

#include <memory>
#include <mutex>

namespace looplive::control_api {

bool is_webhook_url(std::string_view url) {
  if (url.starts_with("https://")) {
    url.remove_prefix(8);
  } else if (url.starts_with("http://")) {
    url.remove_prefix(7);
  } else {
    return false;
  }
  const std::string_view authority = url.substr(0, url.find_first_of("/?"));
  if (authority.find('@') != std::string_view::npos) return false;
  std::string_view host = authority;
  std::string_view port;
  if (authority.starts_with("[")) {
    const auto close = authority.find(']');
    if (close == std::string_view::npos) return false;
    host = authority.substr(1, close - 1);
    if (close + 1 < authority.size()) {
      if (authority[close + 1] != ':') return false;
      port = authority.substr(close + 2);
    }
  } else if (const auto colon = authority.find(':'); colon != std::string_view::npos) {
    host = authority.substr(0, colon);
    port = authority.substr(colon + 1);
  }
  if (host.empty()) return false;
  return port.size() <= 5 && port.find_first_not_of("0123456789") == std::string_view::npos;
}

namespace {

void init_curl_once() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

// Only the status matters; the body is read and dropped.
size_t discard(char*, size_t size, size_t count, void*) {
  return size * count;
}

int check_stop(void* stop, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
  return static_cast<const std::atomic<bool>*>(stop)->load() ? 1 : 0;
}

// What went wrong, named by the step it went wrong in.
std::string describe(CURLcode code, const char* detail, const std::atomic<bool>& stop) {
  if (code == CURLE_ABORTED_BY_CALLBACK && stop.load()) return "stopped";
  std::string step;
  switch (code) {
    case CURLE_COULDNT_RESOLVE_HOST:
      step = "resolve";
      break;
    case CURLE_COULDNT_CONNECT:
      step = "connect";
      break;
    case CURLE_OPERATION_TIMEDOUT:
      step = "timed out";
      break;
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_CERTPROBLEM:
      step = "tls";
      break;
    default:
      step = "request";
  }
  return step + ": " + (detail[0] != '\0' ? detail : curl_easy_strerror(code));
}

}  // namespace

PostResult http_post(const std::string& url, const std::string& body,
                     const std::vector<std::pair<std::string, std::string>>& headers,
                     const PostOptions& options, const std::atomic<bool>& stop) {
  init_curl_once();
  PostResult result;
  std::unique_ptr<CURL, decltype(&curl_easy_cleanup)> curl(curl_easy_init(), curl_easy_cleanup);
  if (!curl) {
    result.error = "request: libcurl could not start";
    return result;
  }
  curl_slist* list = nullptr;
  for (const auto& [name, value] : headers)
    list = curl_slist_append(list, (name + ": " + value).c_str());
  list = curl_slist_append(list, "Expect:");  // no 100-continue round trip
  std::unique_ptr<curl_slist, decltype(&curl_slist_free_all)> header_list(list,
                                                                          curl_slist_free_all);
  char detail[CURL_ERROR_SIZE] = {};
  CURL* h = curl.get();
  curl_easy_setopt(h, CURLOPT_URL, url.c_str());
  curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(h, CURLOPT_POST, 1L);
  curl_easy_setopt(h, CURLOPT_POSTFIELDS, body.data());
  curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body.size()));
  curl_easy_setopt(h, CURLOPT_HTTPHEADER, header_list.get());
  curl_easy_setopt(h, CURLOPT_HTTP_VERSION, CURL_HTTP_VERSION_1_1);
  curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS,
                   static_cast<long>(options.connect_timeout.count()));
  curl_easy_setopt(h, CURLOPT_TIMEOUT_MS,
                   static_cast<long>((options.connect_timeout + options.timeout).count()));
  curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);  // timeouts without SIGALRM: it runs on a pool thread
  curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
  curl_easy_setopt(h, CURLOPT_FORBID_REUSE, 1L);
  curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 1L);
  curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 2L);
  if (!options.ca_file.empty()) curl_easy_setopt(h, CURLOPT_CAINFO, options.ca_file.c_str());
  curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, discard);
  curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
  curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, check_stop);
  curl_easy_setopt(h, CURLOPT_XFERINFODATA, &stop);
  curl_easy_setopt(h, CURLOPT_ERRORBUFFER, detail);

  const CURLcode code = curl_easy_perform(h);
  if (code != CURLE_OK) {
    result.error = describe(code, detail, stop);
    return result;
  }
  long status = 0;
  curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
  result.status = static_cast<int>(status);
  if (result.status < 200 || result.status > 299) result.error = "HTTP " + std::to_string(status);
  char* location = nullptr;
  if (result.status >= 300 && result.status <= 399 &&
      curl_easy_getinfo(h, CURLINFO_REDIRECT_URL, &location) == CURLE_OK && location != nullptr)
    result.error += " redirect to " + std::string(location) + ", not followed";
  return result;
}

}  // namespace looplive::control_api
