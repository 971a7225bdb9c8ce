// The sticky-packet (粘包) illustration: the same messages over TCP (raw), TCP with a 4-byte
// length header, and UDP through udpkit, on loopback, measured in this run.
//
//   sticky-packets [--count N] [--large BYTES] [--json]
//
// TCP is a byte stream: the receiver's reads do not follow the sender's writes, so small
// messages sent back to back arrive merged and a large one arrives split. A length header
// restores the boundaries. UDP keeps them: each send is one datagram, each receive returns one.
// A datagram larger than the receiver's limit is reported as truncated, never passed on cut.
// Even when the kernel batches datagrams (a UDP GSO send of 64, read back through UDP GRO as one
// buffer), the segment size gives every boundary back: UDP stays message-oriented.

#include <uv.h>

#include <cstdio>
#include <cstdlib>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "udpkit/framing.hpp"
#include "udpkit/io/send_batch.hpp"
#include "udpkit/io/timer.hpp"
#include "udpkit/io/udp_socket.hpp"

using namespace udpkit;

namespace {

// What the receiving side of one case saw.
struct observation {
    std::size_t sends = 0;
    std::vector<std::size_t> read_sizes;  // one entry per read()/receive
    std::vector<std::string> as_received; // what a receiver without framing would take as messages
    std::size_t recovered = 0;            // received messages equal to the one sent at that place
    std::size_t truncated = 0;
    std::size_t kernel_sends = 0; // system-level sends and reads (GSO/GRO: several per call)
    std::size_t kernel_reads = 0;
    bool failed = false;
    std::string error;
};

std::size_t count_equal(const std::vector<std::string>& got, const std::vector<std::string>& sent) {
    std::size_t n = 0;
    for (std::size_t i = 0; i < got.size() && i < sent.size(); ++i)
        n += got[i] == sent[i];
    return n;
}

// One TCP connection on loopback: the client writes `writes` back to back (one write call each),
// and the server starts reading only once they are all written, as a busy receiver would.
class tcp_case {
public:
    tcp_case(event_loop& loop, std::vector<std::string> writes, std::function<void()> done)
        : loop_(loop), writes_(std::move(writes)), done_(std::move(done)) {
        for (const auto& w : writes_)
            expected_bytes_ += w.size();
    }

    result<void> start() {
        for (uv_tcp_t* h : {&listener_, &server_, &client_}) {
            uv_tcp_init(loop_.get(), h);
            h->data = this;
        }
        sockaddr_in any{};
        uv_ip4_addr("127.0.0.1", 0, &any);
        if (int rc = uv_tcp_bind(&listener_, reinterpret_cast<sockaddr*>(&any), 0); rc != 0)
            return uv_failure("bind TCP 127.0.0.1:0", rc);
        if (int rc = uv_listen(reinterpret_cast<uv_stream_t*>(&listener_), 1, on_connection);
            rc != 0)
            return uv_failure("listen", rc);
        sockaddr_storage bound{};
        int len = sizeof bound;
        uv_tcp_getsockname(&listener_, reinterpret_cast<sockaddr*>(&bound), &len);
        connect_.data = this;
        if (int rc = uv_tcp_connect(&connect_, &client_, reinterpret_cast<sockaddr*>(&bound),
                                    on_connected);
            rc != 0)
            return uv_failure("connect", rc);
        return {};
    }

    const std::string& stream() const { return received_; }
    const std::vector<std::size_t>& read_sizes() const { return read_sizes_; }
    std::size_t write_calls() const { return write_calls_; }

    void close() {
        for (uv_tcp_t* h : {&listener_, &server_, &client_})
            if (!uv_is_closing(reinterpret_cast<uv_handle_t*>(h)))
                uv_close(reinterpret_cast<uv_handle_t*>(h), nullptr);
    }

private:
    static void on_connection(uv_stream_t* listener, int status) {
        auto* self = static_cast<tcp_case*>(listener->data);
        if (status == 0 && uv_accept(listener, reinterpret_cast<uv_stream_t*>(&self->server_)) == 0)
            self->accepted_ = true;
        self->maybe_start_reading();
    }

    static void on_connected(uv_connect_t* req, int status) {
        auto* self = static_cast<tcp_case*>(req->data);
        if (status != 0)
            return;
        auto* stream = reinterpret_cast<uv_stream_t*>(&self->client_);
        for (auto& w : self->writes_) {
            // One write call per message, as a program calling send() in a loop would.
            uv_buf_t buf = uv_buf_init(w.data(), static_cast<unsigned>(w.size()));
            int n = uv_try_write(stream, &buf, 1);
            ++self->write_calls_;
            if (n < 0)
                n = 0;
            if (static_cast<std::size_t>(n) < w.size()) {
                // The kernel's send buffer is full: queue the rest (it stays in order).
                auto* req2 = new uv_write_t;
                buf = uv_buf_init(w.data() + n, static_cast<unsigned>(w.size()) - n);
                uv_write(req2, stream, &buf, 1, [](uv_write_t* r, int) { delete r; });
                // From here on, later writes must queue behind this one.
                self->queued_ = true;
            }
            if (self->queued_)
                break;
        }
        if (self->queued_)
            self->write_rest_queued(stream);
        self->written_ = true;
        self->maybe_start_reading();
    }

    // Once a write had to queue, the rest goes through uv_write too, so order is kept.
    void write_rest_queued(uv_stream_t* stream) {
        for (std::size_t i = write_calls_; i < writes_.size(); ++i) {
            auto* req = new uv_write_t;
            uv_buf_t buf = uv_buf_init(writes_[i].data(), static_cast<unsigned>(writes_[i].size()));
            uv_write(req, stream, &buf, 1, [](uv_write_t* r, int) { delete r; });
            ++write_calls_;
        }
    }

    void maybe_start_reading() {
        if (!accepted_ || !written_ || reading_)
            return;
        reading_ = true;
        uv_read_start(
            reinterpret_cast<uv_stream_t*>(&server_),
            [](uv_handle_t* h, std::size_t, uv_buf_t* buf) {
                auto* self = static_cast<tcp_case*>(h->data);
                *buf = uv_buf_init(self->read_buffer_, sizeof self->read_buffer_);
            },
            [](uv_stream_t* s, ssize_t nread, const uv_buf_t* buf) {
                auto* self = static_cast<tcp_case*>(s->data);
                if (nread <= 0)
                    return;
                self->read_sizes_.push_back(static_cast<std::size_t>(nread));
                self->received_.append(buf->base, static_cast<std::size_t>(nread));
                if (self->received_.size() >= self->expected_bytes_) {
                    uv_read_stop(s);
                    self->done_();
                }
            });
    }

    event_loop& loop_;
    std::vector<std::string> writes_;
    std::function<void()> done_;
    uv_tcp_t listener_{}, server_{}, client_{};
    uv_connect_t connect_{};
    char read_buffer_[64 * 1024];
    std::size_t expected_bytes_ = 0;
    std::size_t write_calls_ = 0;
    std::vector<std::size_t> read_sizes_;
    std::string received_;
    bool accepted_ = false, written_ = false, reading_ = false, queued_ = false;
};

// Runs one TCP case to completion (or a 5 s watchdog) and returns what the receiver saw.
observation run_tcp(event_loop& loop, const std::vector<std::string>& messages, bool framed) {
    std::vector<std::string> writes;
    for (const auto& m : messages) {
        std::string w;
        if (framed)
            append_frame(w, m);
        else
            w = m;
        writes.push_back(std::move(w));
    }
    observation o;
    auto tcp = std::make_unique<tcp_case>(loop, writes, [&] { loop.stop(); });
    timer watchdog(loop);
    bool timed_out = false;
    watchdog.start(5000, 0, [&] {
        timed_out = true;
        loop.stop();
    });
    if (auto started = tcp->start(); !started) {
        o.failed = true;
        o.error = started.error().message;
    } else {
        loop.run();
    }
    watchdog.stop();
    o.sends = tcp->write_calls();
    o.read_sizes = tcp->read_sizes();
    if (timed_out) {
        o.failed = true;
        o.error = "TCP case did not complete within 5 s";
    }
    if (framed) {
        frame_decoder decoder(1 << 24);
        if (auto r = decoder.feed(tcp->stream(), o.as_received); !r) {
            o.failed = true;
            o.error = r.error().message;
        }
    } else {
        // Without framing, each read is all a receiver can take for "a message".
        std::size_t at = 0;
        for (auto n : o.read_sizes) {
            o.as_received.push_back(tcp->stream().substr(at, n));
            at += n;
        }
    }
    o.recovered = count_equal(o.as_received, messages);
    tcp->close();
    loop.run(); // let the close callbacks run before `tcp` is freed
    return o;
}

// Sends `messages` as datagrams to a receiver whose limit is `receive_limit`, like the
// tutorials' recvfrom(1024), and records each receive. With `gso`, they go 64 per send_now:
// same-size ones leave as one UDP GSO send and the receiver (with UDP GRO) reads them back as a
// few buffers of many datagrams each, which the engine splits by their segment size.
observation run_udp(event_loop& loop, const std::vector<std::string>& messages,
                    std::size_t receive_limit, bool gso = false) {
    observation o;
    socket_options receiver_options;
    receiver_options.limit = *message_limit::make(static_cast<long long>(receive_limit));
    socket_options sender_options;
    sender_options.limit = *message_limit::make(max_payload_ipv4);
    auto any = *ip_endpoint::parse("127.0.0.1:0");
    auto receiver = udp_socket::bind(loop, any, receiver_options);
    auto sender = udp_socket::bind(loop, any, sender_options);
    if (!receiver || !sender) {
        o.failed = true;
        o.error = (!receiver ? receiver.error() : sender.error()).message;
        return o;
    }
    timer watchdog(loop);
    watchdog.start(5000, 0, [&] {
        o.failed = true;
        o.error = "UDP case: not every datagram arrived within 5 s";
        loop.stop();
    });
    auto started = (*receiver)->start_receive([&](const datagram& d) {
        o.read_sizes.push_back(d.size);
        if (d.truncated)
            ++o.truncated;
        else
            o.as_received.emplace_back(d.payload);
        if (o.read_sizes.size() == messages.size())
            loop.stop();
    });
    const ip_endpoint& to = (*receiver)->local_address();
    send_batch batch(max_gso_segments, max_gso_bytes);
    for (std::size_t next = 0; next < messages.size() && !o.failed;) {
        if (!gso) {
            if (auto sent = (*sender)->send(messages[next++], to); !sent) {
                o.failed = true;
                o.error = sent.error().message;
            }
            continue;
        }
        batch.clear();
        while (next < messages.size() && batch.add(messages[next], to))
            ++next;
        for (int result : (*sender)->send_now(batch))
            if (result != 0) {
                o.failed = true;
                o.error = "UDP case: a batched send failed";
            }
    }
    o.sends = messages.size();
    if (started && !o.failed)
        loop.run();
    // Several datagrams per system call when the kernel batched them (GSO, GRO).
    const offload_counters& out = (*sender)->offload();
    const offload_counters& in = (*receiver)->offload();
    o.kernel_sends = out.gso_sends + (o.sends - out.gso_datagrams);
    o.kernel_reads = in.gro_buffers + (o.read_sizes.size() - in.gro_datagrams);
    o.recovered = count_equal(o.as_received, messages);
    return o;
}

std::string sizes(const std::vector<std::size_t>& v) {
    std::string out;
    for (std::size_t i = 0; i < v.size(); ++i) {
        if (i == 8 && v.size() > 10) {
            out += ", ... (" + std::to_string(v.size() - 8) + " more)";
            break;
        }
        out += (i ? ", " : "") + std::to_string(v[i]);
    }
    return out;
}

std::string json_array(const std::vector<std::size_t>& v) {
    std::string out = "[";
    for (std::size_t i = 0; i < v.size(); ++i)
        out += (i ? "," : "") + std::to_string(v[i]);
    return out + "]";
}

std::string json_case(const char* name, const observation& o, std::size_t messages) {
    return std::string("\"") + name + "\":{\"sends\":" + std::to_string(o.sends) +
           ",\"reads\":" + std::to_string(o.read_sizes.size()) +
           ",\"read_sizes\":" + json_array(o.read_sizes) +
           ",\"messages\":" + std::to_string(messages) +
           ",\"recovered\":" + std::to_string(o.recovered) +
           ",\"truncated\":" + std::to_string(o.truncated) +
           ",\"kernel_sends\":" + std::to_string(o.kernel_sends) +
           ",\"kernel_reads\":" + std::to_string(o.kernel_reads) +
           ",\"ok\":" + (o.failed ? "false" : "true") + "}";
}

int usage(const char* why) {
    std::fprintf(stderr,
                 "sticky-packets: %s\nusage: sticky-packets [--count N (1-1000)] "
                 "[--large BYTES (70000-16777216)] [--json]\n",
                 why);
    return 2;
}

} // namespace

int main(int argc, char** argv) {
    std::size_t count = 10;
    std::size_t large = 256 * 1024;
    bool json = false;
    for (int i = 1; i < argc; ++i) {
        std::string arg = argv[i];
        auto number = [&](std::size_t lo, std::size_t hi, std::size_t& out) {
            if (i + 1 >= argc)
                return false;
            char* end = nullptr;
            unsigned long long v = std::strtoull(argv[++i], &end, 10);
            if (*end != '\0' || v < lo || v > hi)
                return false;
            out = static_cast<std::size_t>(v);
            return true;
        };
        if (arg == "--json")
            json = true;
        else if (arg == "--count") {
            if (!number(1, 1000, count))
                return usage("--count needs a number from 1 to 1000");
        } else if (arg == "--large") {
            if (!number(70000, 16777216, large))
                return usage("--large needs a number of bytes from 70000 to 16777216");
        } else if (arg == "--help" || arg == "-h") {
            std::printf("Shows that UDP keeps message boundaries and TCP does not.\n"
                        "usage: sticky-packets [--count N] [--large BYTES] [--json]\n");
            return 0;
        } else {
            return usage(("unknown option " + arg).c_str());
        }
    }

    // The same small messages for every case, of varying sizes, as a chat or command stream.
    std::vector<std::string> messages;
    for (std::size_t i = 0; i < count; ++i)
        messages.push_back("message " + std::to_string(i) + ": " +
                           std::string(3 + (i * 7) % 23, static_cast<char>('a' + i % 26)));
    std::size_t smallest = SIZE_MAX, largest = 0;
    for (const auto& m : messages) {
        smallest = std::min(smallest, m.size());
        largest = std::max(largest, m.size());
    }
    constexpr std::size_t udp_limit = 1024; // the tutorials' recvfrom(1024)
    const std::string oversized(1500, 'X');

    // The offload case: many datagrams of one size, as a game or telemetry stream sends them;
    // 200 (20 KB) fit the receiver's default buffer while nothing reads.
    std::vector<std::string> same_size;
    for (std::size_t i = 0; i < 200; ++i) {
        same_size.push_back("datagram " + std::to_string(i) + " ");
        same_size.back().resize(100, '.');
    }

    event_loop loop;
    observation tcp_raw, tcp_framed, tcp_large, udp, udp_over, udp_offload;
    {
        tcp_raw = run_tcp(loop, messages, false);
        tcp_framed = run_tcp(loop, messages, true);
        tcp_large = run_tcp(loop, {std::string(large, 'L')}, false);
        udp = run_udp(loop, messages, udp_limit);
        udp_over = run_udp(loop, {oversized}, udp_limit);
        udp_offload = run_udp(loop, same_size, udp_limit, true);
    }
    if (auto closed = loop.close(); !closed)
        std::fprintf(stderr, "sticky-packets: %s\n", closed.error().message.c_str());

    const bool merged = tcp_raw.read_sizes.size() < tcp_raw.sends;
    const bool split = tcp_large.read_sizes.size() > 1;
    const bool udp_whole = udp.recovered == count && udp.read_sizes.size() == count;
    const bool truncation_reported = udp_over.truncated == 1 && udp_over.as_received.empty() &&
                                     udp_over.read_sizes == std::vector<std::size_t>{1500};
    const bool offload_whole = udp_offload.recovered == same_size.size() &&
                               udp_offload.read_sizes.size() == same_size.size();
    bool failed = false;
    for (const auto* o : {&tcp_raw, &tcp_framed, &tcp_large, &udp, &udp_over, &udp_offload})
        if (o->failed) {
            std::fprintf(stderr, "sticky-packets: %s\n", o->error.c_str());
            failed = true;
        }
    const bool ok = !failed && tcp_framed.recovered == count && udp_whole && truncation_reported &&
                    offload_whole;

    if (json) {
        std::printf(
            "{%s,%s,%s,%s,%s,%s,\"tcp_merged\":%s,\"tcp_split\":%s,\"udp_limit\":%zu,"
            "\"ok\":%s}\n",
            json_case("tcp_raw", tcp_raw, count).c_str(),
            json_case("tcp_header", tcp_framed, count).c_str(),
            json_case("tcp_large", tcp_large, 1).c_str(), json_case("udp", udp, count).c_str(),
            json_case("udp_over_limit", udp_over, 1).c_str(),
            json_case("udp_gso_gro", udp_offload, same_size.size()).c_str(),
            merged ? "true" : "false", split ? "true" : "false", udp_limit, ok ? "true" : "false");
        return ok ? 0 : 1;
    }

    std::printf("Sticky packets (粘包): %zu messages of %zu-%zu bytes, sent back to back on "
                "loopback\n\n",
                count, smallest, largest);
    std::printf("%-30s %6s %6s  %-10s  %s\n", "", "sends", "reads", "recovered", "what happened");
    auto row = [&](const char* name, const observation& o, std::size_t n, const std::string& what) {
        std::printf("%-30s %6zu %6zu  %4zu of %-3zu  %s\n", name, o.sends, o.read_sizes.size(),
                    o.recovered, n, what.c_str());
    };
    row("TCP, raw", tcp_raw, count,
        merged ? "merged: " + std::to_string(tcp_raw.sends) + " writes came out as " +
                     std::to_string(tcp_raw.read_sizes.size()) + " read(s) of " +
                     sizes(tcp_raw.read_sizes) + " bytes"
               : "not merged in this run (the kernel delivered each write as its own read); "
                 "TCP still gives no such promise");
    row("TCP + 4-byte length header", tcp_framed, count,
        "the header restores every message from " + std::to_string(tcp_framed.read_sizes.size()) +
            " read(s)");
    row("UDP (udpkit)", udp, count,
        udp_whole ? "one datagram per send, sizes " + sizes(udp.read_sizes) + ": no header needed"
                  : "datagrams missing or altered");
    std::printf("\n%-30s %6zu %6zu  %-10s  %s\n",
                ("TCP, one " + std::to_string(large) + " B message").c_str(), tcp_large.sends,
                tcp_large.read_sizes.size(), tcp_large.recovered == 1 ? "whole" : "split",
                split ? ("split across reads of " + sizes(tcp_large.read_sizes) + " bytes").c_str()
                      : "arrived in one read in this run");
    std::printf("%-30s %6zu %6zu  %-10s  %s\n", "UDP, 1500 B to a 1024 B limit", udp_over.sends,
                udp_over.read_sizes.size(), truncation_reported ? "truncated" : "?",
                truncation_reported
                    ? "reported as truncated (1500 bytes on the wire), not passed on cut"
                    : "truncation NOT reported");
    std::printf(
        "\n%-30s %6zu %6zu  %4zu of %-3zu  %s\n", "UDP, GSO send + GRO receive",
        udp_offload.kernel_sends, udp_offload.kernel_reads, udp_offload.recovered, same_size.size(),
        offload_whole ? (std::to_string(same_size.size()) + " datagrams of 100 B left in " +
                         std::to_string(udp_offload.kernel_sends) + " send(s) and came in as " +
                         std::to_string(udp_offload.kernel_reads) +
                         " buffer(s); the segment size gave back every boundary")
                            .c_str()
                      : "datagrams missing or altered");
    std::printf("\n%s\n", ok ? "UDP kept every boundary; TCP needed the length header."
                             : "Something did not behave as shown above: see the errors.");
    return ok ? 0 : 1;
}
