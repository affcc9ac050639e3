#include "looplive/http/server.hpp"

#include "listener.hpp"

namespace looplive::http {

Server::Server(core::IoContexts io, std::string name, std::string host, uint16_t port,
               ServerLimits limits, Handler handler)
    : listener_(std::make_shared<detail::Listener>(io, std::move(name), std::move(host), port,
                                                   limits, std::move(handler))) {}

Server::~Server() {
  stop();
}

void Server::start() {
  listener_->start();
}
void Server::stop() {
  listener_->stop();
}
uint16_t Server::port() const {
  return listener_->port();
}
size_t Server::connection_count() const {
  return listener_->connection_count();
}
ServerFigures Server::figures() const {
  return listener_->figures();
}
void Server::set_connection_caps(const ConnectionCaps& caps) {
  listener_->set_caps(caps);
}

}  // namespace looplive::http
