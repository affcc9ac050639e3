#pragma once

// An https server on 127.0.0.1 for webhook tests: a self-signed certificate
// for IP 127.0.0.1 made at start (OpenSSL), written to a PEM file a client
// can trust, and every POST it receives answered 200 and kept.

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>

#include <functional>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "process.hpp"

namespace looplive::control_api::test {

namespace net = boost::asio;
namespace bhttp = boost::beast::http;

// A key and a self-signed certificate, in PEM.
struct SelfSigned {
  std::string key_pem;
  std::string cert_pem;
};

inline std::string pem_of(const std::function<int(BIO*)>& write) {
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new(BIO_s_mem()), BIO_free);
  if (!bio || write(bio.get()) != 1) throw std::runtime_error("PEM encoding failed");
  char* data = nullptr;
  const long size = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<size_t>(size));
}

inline SelfSigned make_self_signed(const char* ip) {
  std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> key(EVP_EC_gen("P-256"), EVP_PKEY_free);
  std::unique_ptr<X509, decltype(&X509_free)> cert(X509_new(), X509_free);
  if (!key || !cert) throw std::runtime_error("OpenSSL could not make a key");
  X509_set_version(cert.get(), 2);
  ASN1_INTEGER_set(X509_get_serialNumber(cert.get()), 1);
  X509_gmtime_adj(X509_getm_notBefore(cert.get()), -60);
  X509_gmtime_adj(X509_getm_notAfter(cert.get()), 3600);
  X509_set_pubkey(cert.get(), key.get());
  X509_NAME* name = X509_get_subject_name(cert.get());
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>("looplive test"), -1, -1, 0);
  X509_set_issuer_name(cert.get(), name);
  X509V3_CTX context;
  X509V3_set_ctx_nodb(&context);
  X509V3_set_ctx(&context, cert.get(), cert.get(), nullptr, nullptr, 0);
  const std::string san = std::string("IP:") + ip;
  X509_EXTENSION* extension =
      X509V3_EXT_conf_nid(nullptr, &context, NID_subject_alt_name, san.c_str());
  if (extension == nullptr) throw std::runtime_error("OpenSSL could not name the certificate");
  X509_add_ext(cert.get(), extension, -1);
  X509_EXTENSION_free(extension);
  if (X509_sign(cert.get(), key.get(), EVP_sha256()) == 0)
    throw std::runtime_error("OpenSSL could not sign the certificate");
  return {pem_of([&](BIO* bio) {
            return PEM_write_bio_PrivateKey(bio, key.get(), nullptr, nullptr, 0, nullptr, nullptr);
          }),
          pem_of([&](BIO* bio) { return PEM_write_bio_X509(bio, cert.get()); })};
}

class TlsReceiver {
 public:
  TlsReceiver()
      : pair_(make_self_signed("127.0.0.1")),
        tls_(net::ssl::context::tls_server),
        acceptor_(io_, {net::ip::make_address("127.0.0.1"), 0}) {
    tls_.use_certificate_chain(net::buffer(pair_.cert_pem));
    tls_.use_private_key(net::buffer(pair_.key_pem), net::ssl::context::pem);
    looplive::test::write_bytes(ca_file(), {pair_.cert_pem.begin(), pair_.cert_pem.end()});
    accept();
    thread_ = std::thread([this] { io_.run(); });
  }
  ~TlsReceiver() {
    io_.stop();
    thread_.join();
  }
  TlsReceiver(const TlsReceiver&) = delete;
  TlsReceiver& operator=(const TlsReceiver&) = delete;

  uint16_t port() const { return acceptor_.local_endpoint().port(); }
  // The certificate, to trust.
  std::string ca_file() const { return (scratch_.path() / "ca.pem").string(); }
  // Answer 307 to `location` from now on.
  void redirect_to(std::string location) {
    std::lock_guard lock(mutex_);
    redirect_ = std::move(location);
  }
  std::vector<std::string> bodies() const {
    std::lock_guard lock(mutex_);
    return bodies_;
  }

 private:
  void accept() {
    acceptor_.async_accept([this](boost::system::error_code ec, net::ip::tcp::socket socket) {
      if (ec) return;
      serve(std::move(socket));
      accept();
    });
  }

  // One request per connection, synchronously; a client that refuses the
  // certificate ends the handshake, and nothing is kept.
  void serve(net::ip::tcp::socket socket) {
    net::ssl::stream<net::ip::tcp::socket> stream(std::move(socket), tls_);
    boost::system::error_code ec;
    stream.handshake(net::ssl::stream_base::server, ec);
    if (ec) return;
    boost::beast::flat_buffer buffer;
    bhttp::request<bhttp::string_body> request;
    bhttp::read(stream, buffer, request, ec);
    if (ec) return;
    bhttp::response<bhttp::string_body> response(bhttp::status::ok, 11);
    {
      std::lock_guard lock(mutex_);
      bodies_.push_back(request.body());
      if (!redirect_.empty()) {
        response.result(bhttp::status::temporary_redirect);
        response.set(bhttp::field::location, redirect_);
      }
    }
    response.body() = "ok";
    response.prepare_payload();
    bhttp::write(stream, response, ec);
    stream.shutdown(ec);
  }

  looplive::test::ScratchDir scratch_{"tls"};
  SelfSigned pair_;
  net::io_context io_;
  net::ssl::context tls_;
  net::ip::tcp::acceptor acceptor_;
  std::thread thread_;
  mutable std::mutex mutex_;
  std::vector<std::string> bodies_;
  std::string redirect_;
};

}  // namespace looplive::control_api::test
