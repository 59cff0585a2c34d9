using System.Buffers;
using System.Buffers.Binary;
using System.Text;
using RawSocketChat.Protocol;
using RawSocketChat.Protocol.Deflate;

namespace RawSocketChat.Fuzz;

/// <summary>
/// The seed corpora, as code: small valid and edge-case inputs for each target. <c>--seeds DIR</c> writes them to
/// <c>DIR/TARGET/NAME</c> (the committed fuzz/corpus/), and the warm-up runs them. Each seed starts with the target's
/// config byte(s); see the target's summary for the layout.
/// </summary>
public static class Seeds
{
    public sealed record Seed(string Name, byte[] Bytes);

    public static IEnumerable<Seed> For(string target) => target switch
    {
        "frames" => Frames().Concat(CompressedFrames()).Concat(FrameRegressions()),
        "http" => Http(),
        "chat" => Chat(),
        _ => [],
    };

    public static void Write(string directory)
    {
        foreach (IFuzzTarget target in Program.Targets)
        {
            string dir = Path.Combine(directory, target.Name);
            Directory.CreateDirectory(dir);
            foreach (Seed seed in For(target.Name))
                File.WriteAllBytes(Path.Combine(dir, seed.Name), seed.Bytes);
            Console.WriteLine($"{dir}: {For(target.Name).Count()} seeds");
        }
    }

    // ---- frames: [config][segmentation seed][stream] ----

    private const byte Whole = 0x00, ByteByByte = 0x10, Random = 0x30, Small = 0x02, Tiny = 0x03, Client = 0x0C,
        Deflate = 0x04, DeflateNoTakeover = 0x08;

    private static IEnumerable<Seed> Frames()
    {
        const uint zero = 0;            // a zero key leaves the payload readable (and mutable) by the fuzzer
        const uint rfc = 0x3D21FA37;    // RFC 6455 §5.7's key 37 fa 21 3d, little-endian
        byte[] Text(string s) => Encoding.UTF8.GetBytes(s);

        yield return F("text-hello", Whole, 0, M(Opcode.Text, Text("Hello"), zero));
        yield return F("text-hello-rfc-mask", Whole, 0, M(Opcode.Text, Text("Hello"), rfc));
        yield return F("text-utf8-mixed", Whole, 0, M(Opcode.Text, Text("héllo €uro 😀"), zero));
        yield return F("binary-empty", Whole, 0, M(Opcode.Binary, [], rfc));
        yield return F("binary-125", Whole, 0, M(Opcode.Binary, Fill(125), zero));
        yield return F("binary-126-len16", Whole, 0, M(Opcode.Binary, Fill(126), zero));
        yield return F("binary-300-len16-masked", Whole, 0, M(Opcode.Binary, Fill(300), rfc));
        yield return F("binary-len64-truncated", Whole, 0, Header(Opcode.Binary, 65536, fin: true, rfc, payloadPrefix: 16));
        yield return F("fragmented-text-with-ping", Whole, 0,
            M(Opcode.Text, Text("Hel"), rfc, fin: false), M(Opcode.Ping, Text("p"), zero), M(Opcode.Continuation, Text("lo"), rfc));
        yield return F("fragmented-utf8-split", Whole, 0,
            M(Opcode.Text, [0xE2, 0x82], zero, fin: false), M(Opcode.Continuation, [0xAC, (byte)'!'], zero));
        yield return F("fragmented-binary-3", Random, 7,
            M(Opcode.Binary, Fill(10), rfc, fin: false), M(Opcode.Continuation, Fill(0), rfc, fin: false), M(Opcode.Continuation, Fill(5), zero));
        yield return F("ping-pong", Whole, 0, M(Opcode.Ping, Text("ping"), zero), M(Opcode.Pong, Text("pong"), rfc), M(Opcode.Ping, [], zero));
        yield return F("ping-125", Whole, 0, M(Opcode.Ping, Fill(125), zero));
        yield return F("close-1000-reason", Whole, 0, M(Opcode.Close, Close(1000, "bye"), zero));
        yield return F("close-empty", Whole, 0, M(Opcode.Close, [], rfc));
        yield return F("close-4000", Whole, 0, M(Opcode.Close, Close(4000, ""), zero));
        yield return F("close-one-byte", Whole, 0, M(Opcode.Close, [0x03], zero));
        yield return F("close-1005-on-wire", Whole, 0, M(Opcode.Close, Close(1005, ""), zero));
        yield return F("close-bad-utf8-reason", Whole, 0, M(Opcode.Close, [0x03, 0xE8, 0xC0, 0xAF], zero));
        yield return F("close-then-more", Whole, 0, M(Opcode.Close, Close(1001, "going"), zero), M(Opcode.Text, Text("late"), zero));
        yield return F("unmasked-server", Whole, 0, U(Opcode.Text, Text("hi")));
        yield return F("unmasked-client", Client, 0, U(Opcode.Text, Text("hi")), U(Opcode.Close, Close(1000, "")));
        yield return F("rsv1-set", Whole, 0, M(Opcode.Text, Text("x"), zero, rsv: 4));
        yield return F("reserved-opcode-3", Whole, 0, M((Opcode)3, [], zero));
        yield return F("reserved-opcode-b", Whole, 0, M((Opcode)0xB, [], zero));
        yield return F("ping-too-long", Whole, 0, M(Opcode.Ping, Fill(126), zero));
        yield return F("ping-fragmented", Whole, 0, M(Opcode.Ping, [], zero, fin: false));
        yield return F("continuation-first", Whole, 0, M(Opcode.Continuation, Text("x"), zero));
        yield return F("text-inside-fragmented", Whole, 0, M(Opcode.Text, Text("a"), zero, fin: false), M(Opcode.Text, Text("b"), zero));
        yield return F("non-minimal-len16", Whole, 0, [0x81, 0xFE, 0x00, 0x05, 0, 0, 0, 0, .. Text("hello")]);
        yield return F("non-minimal-len64", Whole, 0, [0x82, 0xFF, 0, 0, 0, 0, 0, 0, 0x01, 0x00, 0, 0, 0, 0]);
        yield return F("len64-high-bit", Whole, 0, [0x82, 0xFF, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
        yield return F("invalid-utf8-surrogate", Whole, 0, M(Opcode.Text, [0x61, 0xED, 0xA0, 0x80], zero));
        yield return F("invalid-utf8-truncated", Whole, 0, M(Opcode.Text, [0x61, 0xE2, 0x82], zero));
        yield return F("too-big-small-limit", Small, 0, Header(Opcode.Binary, 2000, fin: true, zero, payloadPrefix: 8));
        yield return F("too-big-fragments-tiny-limit", Tiny, 0, M(Opcode.Binary, Fill(100), zero, fin: false), M(Opcode.Continuation, Fill(30), zero));
        yield return F("messages-byte-by-byte", ByteByByte, 0,
            M(Opcode.Text, Text("one"), rfc), M(Opcode.Binary, Fill(3), zero), M(Opcode.Text, Text("three"), rfc));
        yield return F("messages-random-cuts", Random, 200,
            M(Opcode.Text, Text("€€€€"), rfc, fin: false), M(Opcode.Pong, [], rfc), M(Opcode.Continuation, Text("😀"), rfc), M(Opcode.Close, Close(1000, "done"), rfc));
    }

    /// <summary>permessage-deflate (RFC 7692): compressed with our own deflater, then masked; RSV1 marks the first frame.</summary>
    private static IEnumerable<Seed> CompressedFrames()
    {
        const uint zero = 0, rfc = 0x3D21FA37;
        byte[] Text(string s) => Encoding.UTF8.GetBytes(s);

        // RFC 7692 §7.2.3.1: "Hello" is f2 48 cd c9 c9 07 00.
        yield return F("deflate-text-hello", Deflate, 0, Z(Opcode.Text, Compress(Text("Hello")), zero));
        yield return F("deflate-rfc7692-hello-bytes", Deflate, 0, Z(Opcode.Text, [0xF2, 0x48, 0xCD, 0xC9, 0xC9, 0x07, 0x00], rfc));
        using (var shared = new MessageDeflater(noContextTakeover: false))
        {
            // Context takeover: the second "Hello" is a back-reference into the first (RFC 7692 §7.2.3.2).
            byte[] first = Compress(Text("Hello, hello, hello"), shared), second = Compress(Text("Hello, hello, hello"), shared);
            yield return F("deflate-context-takeover", Deflate, 0, Z(Opcode.Text, first, zero), Z(Opcode.Text, second, zero));
        }
        yield return F("deflate-no-context-takeover", DeflateNoTakeover, 0,
            Z(Opcode.Binary, Compress(Fill(300)), rfc), Z(Opcode.Binary, Compress(Fill(300)), rfc));
        byte[] long1 = Compress(Text(string.Concat(Enumerable.Repeat("héllo €uro ", 40))));
        yield return F("deflate-fragmented-with-ping", Deflate | Random, 9,
            Z(Opcode.Text, long1[..(long1.Length / 2)], rfc, fin: false), M(Opcode.Ping, [], zero),
            M(Opcode.Continuation, long1[(long1.Length / 2)..], rfc));
        yield return F("deflate-uncompressed-message", Deflate, 0, M(Opcode.Text, Text("plain"), zero));
        yield return F("deflate-empty-message", Deflate, 0, Z(Opcode.Binary, [0x00], zero));
        // RFC 7692 §7.2.3.4: a message may end with a final block (BFINAL = 1); the next message starts a new stream.
        yield return F("deflate-bfinal-then-more", Deflate, 0, Z(Opcode.Text, [0xF3, 0x48, 0xCD, 0xC9, 0xC9, 0x07, 0x00, 0x00], zero),
            Z(Opcode.Text, Compress(Text("again")), zero));
        // A "zip bomb": 70 000 zero bytes compress to a few hundred; the limit must stop the inflation (1009).
        yield return F("deflate-bomb-over-limit", Deflate, 0, Z(Opcode.Binary, Compress(new byte[70_000]), zero));
        yield return F("deflate-invalid-data", Deflate, 0, Z(Opcode.Binary, [0xFF, 0xFF, 0xFF, 0xFF], zero));
        yield return F("deflate-invalid-utf8-inside", Deflate, 0, Z(Opcode.Text, Compress([0x61, 0xED, 0xA0, 0x80]), zero));
        yield return F("deflate-rsv1-on-ping", Deflate, 0, M(Opcode.Ping, [], zero, rsv: FrameHeader.Rsv1));
        yield return F("deflate-rsv1-on-continuation", Deflate, 0,
            M(Opcode.Text, Text("a"), zero, fin: false), M(Opcode.Continuation, Compress(Text("b")), zero, rsv: FrameHeader.Rsv1));
        yield return F("deflate-rsv2", Deflate, 0, M(Opcode.Text, Text("x"), zero, rsv: FrameHeader.Rsv2));
        yield return F("rsv1-without-deflate", Whole, 0, Z(Opcode.Text, Compress(Text("Hello")), zero));
    }

    /// <summary>A compressed (RSV1) masked frame.</summary>
    private static byte[] Z(Opcode opcode, byte[] compressed, uint key, bool fin = true) => M(opcode, compressed, key, fin, FrameHeader.Rsv1);

    private static byte[] Compress(byte[] message, MessageDeflater? deflater = null)
    {
        var output = new ArrayBufferWriter<byte>();
        if (deflater is not null)
            deflater.Compress(message, output);
        else
        {
            using var fresh = new MessageDeflater(noContextTakeover: true);
            fresh.Compress(message, output);
        }
        return output.WrittenSpan.ToArray();
    }

    /// <summary>Inputs that once broke an invariant, kept so that the bug stays fixed (see docs/security.md).</summary>
    private static IEnumerable<Seed> FrameRegressions()
    {
        // A 16-bit-length header declaring 0x6c6e bytes made the receiver rent 32 KiB after 18 bytes of input.
        yield return new Seed("regress-declared-length-amplification-1", Convert.FromHexString("000082fe6c6e5f5f5f5f000000000046800100e8"));
        // Client mode, an unmasked text header declaring 12528 bytes: 16 KiB rented after 4 bytes.
        yield return new Seed("regress-declared-length-amplification-2", Convert.FromHexString("1d1d817e30f07822"));
        // Deflate, cut in two: invalid UTF-8 inflated from the first part vs corrupt DEFLATE seen at once (both 1007).
        yield return new Seed("regress-deflate-failure-cause-depends-on-cuts", Convert.FromHexString("bba0c186200000094a7c00000000"));
        // Deflate, byte by byte, limit 125: the inflated bytes reach the limit before zlib meets the corrupt code (1009);
        // all at once zlib decodes ahead and meets it first (1007).
        yield return new Seed("regress-deflate-too-big-or-corrupt-depends-on-cuts", Convert.FromHexString("2700c1c737fa18ffc5b200b737fa18878999b289ff8989898de803"));
    }

    private static Seed F(string name, byte config, byte seed, params byte[][] frames) =>
        new(name, [config, seed, .. frames.SelectMany(f => f)]);

    /// <summary>A masked frame as a client sends it.</summary>
    private static byte[] M(Opcode opcode, byte[] payload, uint key, bool fin = true, byte rsv = 0)
    {
        var frame = new byte[FrameWriter.MaskedFrameLength(payload.Length)];
        FrameWriter.WriteMaskedFrame(frame, opcode, payload, key, fin, rsv);
        return frame;
    }

    /// <summary>An unmasked frame (as a server sends it; a protocol error from a client).</summary>
    private static byte[] U(Opcode opcode, byte[] payload)
    {
        var writer = new ArrayBufferWriter<byte>();
        FrameWriter.WriteFrame(writer, opcode, payload);
        return writer.WrittenSpan.ToArray();
    }

    /// <summary>A masked header that declares <paramref name="length"/> bytes, followed by only a few of them.</summary>
    private static byte[] Header(Opcode opcode, long length, bool fin, uint key, int payloadPrefix)
    {
        var header = new FrameHeader(fin, 0, opcode, Masked: true, length, key);
        var bytes = new byte[header.EncodedLength + payloadPrefix];
        header.WriteTo(bytes);
        return bytes;
    }

    private static byte[] Close(ushort code, string reason)
    {
        var payload = new byte[2 + Encoding.UTF8.GetByteCount(reason)];
        BinaryPrimitives.WriteUInt16BigEndian(payload, code);
        Encoding.UTF8.GetBytes(reason, payload.AsSpan(2));
        return payload;
    }

    private static byte[] Fill(int length) => Enumerable.Range(0, length).Select(i => (byte)('a' + i % 26)).ToArray();

    // ---- http: [config][segmentation seed][request] ----

    private const string Key = "dGhlIHNhbXBsZSBub25jZQ==";

    private static IEnumerable<Seed> Http()
    {
        string upgrade = $"Host: localhost:8080\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: {Key}\r\nSec-WebSocket-Version: 13\r\n";
        yield return H("handshake-rfc", 0x00, $"GET /chat HTTP/1.1\r\n{upgrade}Origin: http://localhost:8080\r\nSec-WebSocket-Protocol: chat, rawsocketchat.v1\r\n\r\n");
        yield return H("handshake-minimal", 0x00, $"GET /echo HTTP/1.1\r\n{upgrade}\r\n");
        yield return H("handshake-browser", 0x00, "GET /chat?room=general HTTP/1.1\r\nHost: 127.0.0.1:8080\r\nConnection: keep-alive, Upgrade\r\nPragma: no-cache\r\n"
            + "Upgrade: websocket\r\nOrigin: http://127.0.0.1:8080\r\nSec-WebSocket-Version: 13\r\nUser-Agent: Mozilla/5.0\r\n"
            + $"Accept-Encoding: gzip, deflate, br\r\nSec-WebSocket-Key: {Key}\r\nSec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n\r\n");
        yield return H("handshake-byte-by-byte", 0x10, $"GET /chat HTTP/1.1\r\n{upgrade}\r\n");
        yield return H("handshake-random-cuts", 0x30, $"GET /chat HTTP/1.1\r\n{upgrade}Origin: https://chat.example:8443\r\n\r\n", seed: 11);
        yield return H("handshake-policy-any-origin", 0x04, $"GET /chat HTTP/1.1\r\n{upgrade}Origin: https://evil.example\r\n\r\n");
        yield return H("handshake-self-origin", 0x0C, $"GET /chat HTTP/1.1\r\n{upgrade}Origin: http://localhost:8080\r\n\r\n");
        yield return H("handshake-leading-empty-line", 0x00, $"\r\nGET /chat HTTP/1.1\r\n{upgrade}\r\n");
        yield return H("handshake-absolute-form", 0x00, $"GET http://localhost:8080/chat HTTP/1.1\r\n{upgrade}\r\n");
        yield return H("handshake-forwarded-for", 0x00, $"GET /chat HTTP/1.1\r\n{upgrade}X-Forwarded-For: 203.0.113.9, 10.1.2.3\r\n\r\n");
        yield return H("bad-origin", 0x00, $"GET /chat HTTP/1.1\r\n{upgrade}Origin: https://evil.example\r\n\r\n");
        yield return H("version-8", 0x00, $"GET /chat HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: {Key}\r\nSec-WebSocket-Version: 8\r\n\r\n");
        yield return H("key-15-bytes", 0x00, "GET /chat HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: AAAAAAAAAAAAAAAAAAAA\r\nSec-WebSocket-Version: 13\r\n\r\n");
        yield return H("two-hosts", 0x00, $"GET /chat HTTP/1.1\r\nHost: a\r\n{upgrade}\r\n");
        yield return H("post", 0x00, $"POST /chat HTTP/1.1\r\n{upgrade}\r\n");
        yield return H("http-1.0", 0x00, $"GET /chat HTTP/1.0\r\n{upgrade}\r\n");
        yield return H("plain-get", 0x00, "GET / HTTP/1.1\r\nHost: localhost\r\n\r\n");
        yield return H("head", 0x00, "HEAD / HTTP/1.1\r\nHost: localhost\r\n\r\n");
        yield return H("no-headers", 0x00, "GET / HTTP/1.1\r\n\r\n");
        yield return H("bare-lf", 0x00, "GET / HTTP/1.1\nHost: x\n\n");
        yield return H("obs-fold", 0x00, "GET / HTTP/1.1\r\nHost: x\r\n folded\r\n\r\n");
        yield return H("space-before-colon", 0x00, "GET / HTTP/1.1\r\nHost : x\r\n\r\n");
        yield return H("no-colon", 0x00, "GET / HTTP/1.1\r\nHost\r\n\r\n");
        yield return H("nul-in-value", 0x00, "GET / HTTP/1.1\r\nHost: a\0b\r\n\r\n");
        yield return H("latin1-value", 0x00, "GET / HTTP/1.1\r\nHost: x\r\nX-Name: caf\u00e9\r\n\r\n", latin1: true);
        yield return H("two-spaces", 0x00, "GET  / HTTP/1.1\r\n\r\n");
        yield return H("bad-version", 0x00, "GET / HTTP/11\r\n\r\n");
        yield return H("asterisk-target", 0x00, "OPTIONS * HTTP/1.1\r\nHost: x\r\n\r\n");
        yield return H("incomplete", 0x00, "GET /chat HTTP/1.1\r\nHost: local");
        yield return H("too-large-small-limit", 0x03, "GET / HTTP/1.1\r\nHost: x\r\nX-Padding: " + new string('p', 250) + "\r\n\r\n");
        yield return H("many-headers", 0x00, "GET / HTTP/1.1\r\n" + string.Concat(Enumerable.Range(0, 101).Select(i => $"X-{i}: v\r\n")) + "\r\n");
        yield return H("deflate-offer", 0x00, $"GET /chat HTTP/1.1\r\n{upgrade}Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n\r\n");
        yield return H("deflate-offers-preference", 0x0C, $"GET /chat HTTP/1.1\r\n{upgrade}Origin: http://localhost:8080\r\n"
            + "Sec-WebSocket-Extensions: x-webkit-deflate-frame, permessage-deflate; server_max_window_bits=10\r\n"
            + "Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits=\"12\"; server_no_context_takeover\r\n\r\n");
        yield return H("deflate-offer-malformed", 0x00, $"GET /chat HTTP/1.1\r\n{upgrade}Sec-WebSocket-Extensions: permessage-deflate;; =x, \"q\r\n\r\n");
        yield return H("deflate-offer-duplicate-param", 0x00, $"GET /chat HTTP/1.1\r\n{upgrade}Sec-WebSocket-Extensions: permessage-deflate; client_no_context_takeover; client_no_context_takeover\r\n\r\n");
        yield return H("repeated-protocol", 0x00, $"GET /chat HTTP/1.1\r\n{upgrade}Sec-WebSocket-Protocol: a\r\nSec-WebSocket-Protocol: chat\r\n\r\n");
        yield return new Seed("tls-client-hello", [0x00, 0x00, 0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xFC, 0x03, 0x03]);

        // Regressions: a header repeated many times made HttpRequest.Get join its lines quadratically (550 KB for 8 KiB).
        string longValue = new('o', 60);
        yield return H("regress-repeated-origin-quadratic", 0x00, $"GET /chat HTTP/1.1\r\n{upgrade}"
            + string.Concat(Enumerable.Repeat($"Origin: {longValue}\r\n", 90)) + "\r\n");
        yield return H("regress-repeated-version-quadratic", 0x00, $"GET /chat HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: {Key}\r\n"
            + string.Concat(Enumerable.Repeat($"Sec-WebSocket-Version: {longValue}\r\n", 90)) + "\r\n");
    }

    private static Seed H(string name, byte config, string request, byte seed = 0, bool latin1 = false) =>
        new(name, [config, seed, .. (latin1 ? Encoding.Latin1 : Encoding.ASCII).GetBytes(request)]);

    // ---- chat: [config][message] ----

    private static IEnumerable<Seed> Chat()
    {
        yield return C("register", """{"type":"register","name":"alice","password":"correct horse battery","color":"#3366ff","ref":"r1"}""");
        yield return C("login", """{"type":"login","name":"alice","password":"correct horse battery"}""");
        yield return C("resume", """{"type":"resume","token":"3q2-7wAAAAA.c2lnbmF0dXJl"}""");
        yield return C("join", """{"type":"join","room":"general"}""");
        yield return C("send", """{"type":"send","room":"general","text":"hello, world","ref":"c-42"}""");
        yield return C("send-escapes", """{"type":"send","room":"general","text":"line\nnext\ttab \"q\" \\ \u00e9 \ud83d\ude00 /","ref":"\u0072"}""");
        yield return C("send-raw-utf8", """{"type":"send","room":"général","text":"héllo €uro 😀"}""");
        yield return C("history", """{"type":"history","room":"general","before":"01HZX3M5B3","limit":50}""");
        yield return C("create", """{ "type" : "create" , "room" : "dev-talk" }""");
        yield return C("typing-extra-fields", """{"type":"typing","room":"general","client":{"v":[1,2,{"x":null}]},"ts":1.5e3,"ok":true}""");
        yield return C("logout", """{"type":"logout"}""");
        yield return C("dm", """{"type":"dm","to":"bob","text":"psst","ref":"d1"}""");
        yield return C("edit", """{"type":"edit","room":"general","id":"6b09549e000000000000009f","text":"fixed typo"}""");
        yield return C("delete", """{"type":"delete","room":"general","id":"6b09549e000000000000009f"}""");
        yield return C("mute", """{"type":"mute","room":"general","user":"mallory","seconds":600,"reason":"spam"}""");
        yield return C("ban", """{"type":"ban","user":"mallory","reason":"abuse","seconds":-1}""");
        yield return C("grant", """{"type":"grant","user":"alice","room":"general"}""");
        yield return C("stats", """{"type":"stats"}""");
        yield return C("seconds-overflow", """{"type":"mute","user":"x","seconds":2147483648}""");
        yield return C("escaped-name", """{"\u0074ype":"join","r\u006fom":"x"}""");
        yield return C("small-limit", """{"type":"send","room":"r","text":"0123456789abcdef"}""", config: 1);
        yield return C("empty", "");
        yield return C("not-object", """["type","send"]""");
        yield return C("string", "\"hello\"");
        yield return C("type-number", """{"type":1}""");
        yield return C("no-type", """{"room":"general"}""");
        yield return C("duplicate", """{"type":"send","type":"join"}""");
        yield return C("trailing", """{"type":"logout"} {"type":"logout"}""");
        yield return C("lone-surrogate", """{"type":"send","text":"\ud800"}""");
        yield return C("deep", """{"type":"x","a":[[[[[[[[[[1]]]]]]]]]]}""");
        yield return C("many-properties", "{" + string.Join(",", Enumerable.Range(0, 33).Select(i => $"\"p{i}\":{i}")) + ",\"type\":\"x\"}");
        yield return C("limit-huge", """{"type":"history","room":"r","limit":1e99}""");
        yield return C("limit-string", """{"type":"history","room":"r","limit":"5"}""");
        yield return C("comment", """{"type":"logout" /* hi */}""");
        yield return C("ref-control", """{"type":"send","ref":"a\u0001b"}""");
        yield return C("ref-too-long", "{\"type\":\"send\",\"ref\":\"" + new string('r', 65) + "\"}");
        yield return C("text-control", """{"type":"send","room":"r","text":"bell\u0007"}""");
        yield return C("text-crlf-spaces", """{"type":"send","room":"r","text":"  a\r\nb  "}""");
        yield return C("truncated", """{"type":"send","text":"abc""");
        yield return new Seed("invalid-utf8", [0, .. "{\"type\":\"send\",\"text\":\""u8, 0xC3, 0x28, .. "\"}"u8]);
    }

    private static Seed C(string name, string json, byte config = 0) => new(name, [config, .. Encoding.UTF8.GetBytes(json)]);
}
