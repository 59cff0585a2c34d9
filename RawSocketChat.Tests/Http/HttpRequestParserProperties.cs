using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using RawSocketChat.Http;
using RawSocketChat.Tests.Protocol;

namespace RawSocketChat.Tests.Http;

/// <summary>
/// The parser reads bytes from anyone on the network before any check has passed, so whatever arrives and however
/// TCP cuts it up, it must answer Incomplete, Complete or Invalid (400 or 431), and never throw.
/// </summary>
public class HttpRequestParserProperties
{
    // ---- Generators ----

    /// <summary>Some bytes, how the transport cuts them, and the limit the parser is given.</summary>
    private sealed record Input(byte[] Bytes, int[] Cuts, int MaxHeaderBytes)
    {
        public override string ToString() =>
            $"\"{Escape(Bytes)}\" cut at [{string.Join(",", Cuts.Order())}], max {MaxHeaderBytes}";
    }

    /// <summary>Bytes that matter to the grammar, so that mutations hit the interesting cases often.</summary>
    private static readonly byte[] Delimiters = "\r\n :\t/.?#,"u8.ToArray().Concat(new byte[] { 0x00, 0x16, 0x7F, 0x80, 0xFF }).ToArray();

    private static readonly Gen<byte> AnyByte = Gen.Choose(0, 255).Select(b => (byte)b);

    private static readonly Gen<byte> InterestingByte = Gen.Frequency(
        (1, AnyByte),
        (2, Gen.Elements(Delimiters)),
        (1, Gen.Elements("GETHTP1aZ-_~"u8.ToArray())));

    private static readonly Gen<byte[]> RandomBytes = Gen.Frequency(
        (1, Gen.ArrayOf(AnyByte)),
        (2, Gen.ArrayOf(InterestingByte)));

    /// <summary>One edit of a valid request: overwrite, insert or delete a byte, or duplicate a slice.</summary>
    private static Gen<Func<List<byte>, List<byte>>> Mutation(int length) =>
        from kind in Gen.Choose(0, 3)
        from at in Gen.Choose(0, Math.Max(0, length - 1))
        from span in Gen.Choose(1, 40)
        from value in InterestingByte
        select new Func<List<byte>, List<byte>>(bytes =>
        {
            int i = Math.Min(at, Math.Max(0, bytes.Count - 1));
            switch (kind)
            {
                case 0 when bytes.Count > 0: bytes[i] = value; break;
                case 1: bytes.Insert(Math.Min(at, bytes.Count), value); break;
                case 2 when bytes.Count > 0: bytes.RemoveAt(i); break;
                case 3 when bytes.Count > 0: bytes.InsertRange(i, bytes.GetRange(i, Math.Min(span, bytes.Count - i))); break;
            }
            return bytes;
        });

    private static readonly string[] ValidHeads =
    [
        Requests.BrowserHandshake,
        "GET / HTTP/1.1\r\nHost: example.com\r\n\r\n",
        "\r\nHEAD /index.html?x=1 HTTP/1.0\r\nA:b\r\nA: c\r\n\r\n",
        "GET http://example.com/chat HTTP/1.1\r\nHost: example.com\r\nX: \t v \t\r\n\r\n\x81\x80",
    ];

    private static readonly Gen<byte[]> MutatedRequests =
        from head in Gen.Elements(ValidHeads)
        let bytes = Requests.Bytes(head)
        from mutations in Gen.ListOf(Mutation(bytes.Length)).Resize(6)
        select mutations.Aggregate(bytes.ToList(), (acc, mutate) => mutate(acc)).ToArray();

    /// <summary>A request cut short, as when the rest has not arrived yet.</summary>
    private static readonly Gen<byte[]> TruncatedRequests =
        from bytes in Gen.Frequency((1, Gen.Elements(ValidHeads).Select(Requests.Bytes)), (1, MutatedRequests))
        from length in Gen.Choose(0, bytes.Length)
        select bytes[..length];

    private static Gen<Input> InputsFrom(Gen<byte[]> bytes) =>
        from data in bytes
        from cuts in Gen.ArrayOf(Gen.Choose(0, data.Length), Math.Min(data.Length, 4))
        from max in Gen.Frequency((3, Gen.Constant(8192)), (1, Gen.Choose(1, 256)))
        select new Input(data, cuts, max);

    private static readonly Gen<Input> Inputs = Gen.Frequency(
        (2, InputsFrom(RandomBytes)),
        (4, InputsFrom(MutatedRequests)),
        (1, InputsFrom(TruncatedRequests)));

    // ---- Properties ----

    [Property(MaxTest = 500)]
    [Trait("Rfc", "6455-4.2.1-malformed")]
    [Trait("Rfc", "6455-10.7-validate")]
    public Property Parser_never_throws_and_answers_with_a_known_outcome() =>
        Prop.ForAll(Arb.From(Inputs), input =>
        {
            ParseOutcome outcome = ParseOutcome.Of(Segments.Split(input.Bytes, input.Cuts), input.MaxHeaderBytes);

            switch (outcome.Status)
            {
                case HttpParseStatus.Incomplete:
                    Assert.Null(outcome.Request);
                    Assert.Equal(0, outcome.ConsumedBytes);
                    break;
                case HttpParseStatus.Complete:
                    Assert.NotNull(outcome.Request);
                    Assert.InRange(outcome.ConsumedBytes, 4, Math.Min(input.Bytes.Length, input.MaxHeaderBytes));
                    break;
                case HttpParseStatus.Invalid:
                    Assert.Null(outcome.Request);
                    Assert.Contains(outcome.Error.StatusCode, new[] { 400, 431 });
                    Assert.False(string.IsNullOrEmpty(outcome.Error.Reason));
                    break;
                default:
                    Assert.Fail($"unknown status {outcome.Status}");
                    break;
            }
        });

    [Property(MaxTest = 300)]
    public Property Segmentation_never_changes_the_outcome() =>
        Prop.ForAll(Arb.From(Inputs), input =>
        {
            string whole = Requests.Parse(input.Bytes, input.MaxHeaderBytes).Describe();
            string segmented = ParseOutcome.Of(Segments.Split(input.Bytes, input.Cuts), input.MaxHeaderBytes).Describe();
            Assert.Equal(whole, segmented);
        });

    [Property(MaxTest = 300)]
    public Property A_complete_head_ends_with_a_blank_line_and_reparses_to_the_same_request() =>
        Prop.ForAll(Arb.From(Inputs), input =>
        {
            ParseOutcome outcome = Requests.Parse(input.Bytes, input.MaxHeaderBytes);
            if (outcome.Status != HttpParseStatus.Complete)
                return;

            byte[] head = input.Bytes[..(int)outcome.ConsumedBytes];
            Assert.Equal("\r\n\r\n"u8.ToArray(), head[^4..]);
            // Nothing after the head influences it, and no shorter prefix is already a request.
            Assert.Equal(outcome.Describe(), Requests.Parse(head, input.MaxHeaderBytes).Describe());
            Assert.Equal(HttpParseStatus.Incomplete, Requests.Parse(head[..^1], input.MaxHeaderBytes).Status);
        });

    private static string Escape(byte[] bytes) =>
        string.Concat(bytes.Select(b => b is >= 0x20 and < 0x7F and not (byte)'\\' ? ((char)b).ToString() : $"\\x{b:X2}"));
}
