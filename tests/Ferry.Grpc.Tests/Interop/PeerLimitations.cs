using Ferry.Grpc;
using Google.Protobuf;
using Grpc.Testing;

namespace Ferry.Grpc.Tests.Interop;

/// <summary>
/// The exclusion table: interop cases that a peer library cannot express (interop/README.md, "Known limits"),
/// by peer, direction and case, with the reason. An excluded case is not silently skipped: its test asserts the
/// documented evidence instead of PASS —
/// <list type="bullet">
/// <item>a peer client must report <c>SKIP case: reason</c> with <see cref="Limitation.Evidence"/> in the reason
/// (so a SKIP for any other reason, e.g. "server cannot compress responses", still fails the test);</item>
/// <item>Ferry's client against a peer server must fail the case with <see cref="Limitation.Evidence"/> in the
/// error (so the failure is the known one), after which <see cref="Limitation.StillChecked"/>, when given,
/// checks what the peer can express.</item>
/// </list>
/// Every case not listed here must PASS. The table is complete: Ferry's client and server implement every case.
/// </summary>
internal static class PeerLimitations
{
    private const string PythonServerIgnoresExpectCompressed =
        "grpcio 1.51 servers cannot tell whether a request arrived compressed (neither the flag nor grpc-encoding " +
        "reaches the handler), so expect_compressed is not enforced and the uncompressed probe with " +
        "expect_compressed=true succeeds where the case requires INVALID_ARGUMENT";

    private const string NodeServerCannotCompress =
        "grpc-js servers never compress responses; the reference server answers UNIMPLEMENTED when a request asks " +
        "for a compressed response rather than sending it plain";

    private const string PythonClientCannotSeeCompressedFlag =
        "grpcio does not expose the compressed flag of received messages; the client still checks the status and " +
        "payloads and then reports SKIP because the flag itself was not checked";

    private const string PythonClientCannotCompressPerMessage =
        "grpcio chooses compression per call, not per message (no write-flags API), so it cannot send the required " +
        "compressed-then-uncompressed request stream";

    public static IReadOnlyList<Limitation> All { get; } =
    [
        new(Peer.Python, Direction.FerryClientToPeerServer, "client_compressed_unary", PythonServerIgnoresExpectCompressed,
            Evidence: "the call succeeded, expected status InvalidArgument", StillChecked: CompressedUnaryAsync),
        new(Peer.Python, Direction.FerryClientToPeerServer, "client_compressed_streaming", PythonServerIgnoresExpectCompressed,
            Evidence: "the call succeeded, expected status InvalidArgument", StillChecked: CompressedThenPlainStreamAsync),
        new(Peer.Node, Direction.FerryClientToPeerServer, "server_compressed_unary", NodeServerCannotCompress,
            Evidence: "response compression is not supported by the @grpc/grpc-js server"),
        new(Peer.Node, Direction.FerryClientToPeerServer, "server_compressed_streaming", NodeServerCannotCompress,
            Evidence: "response compression is not supported by the @grpc/grpc-js server"),
        new(Peer.Python, Direction.PeerClientToFerryServer, "server_compressed_unary", PythonClientCannotSeeCompressedFlag,
            Evidence: "grpcio does not expose the compressed flag of received messages; payloads verified OK"),
        new(Peer.Python, Direction.PeerClientToFerryServer, "server_compressed_streaming", PythonClientCannotSeeCompressedFlag,
            Evidence: "grpcio does not expose the compressed flag of received messages; payloads verified OK"),
        new(Peer.Python, Direction.PeerClientToFerryServer, "client_compressed_streaming", PythonClientCannotCompressPerMessage,
            Evidence: "grpcio clients cannot choose compression per message"),
    ];

    public static Limitation? Find(Peer peer, Direction direction, string testCase) =>
        All.SingleOrDefault(l => l.Peer == peer && l.Direction == direction && l.Case == testCase);

    /// <summary>
    /// For a peer client against Ferry's server: false when <paramref name="testCase"/> has no limitation; else asserts
    /// that the client reported it as the documented SKIP and returns true.
    /// </summary>
    public static bool IsDocumentedSkip(Peer peer, string testCase, PeerClientReport.CaseResult result)
    {
        if (Find(peer, Direction.PeerClientToFerryServer, testCase) is not { } limitation)
        {
            return false;
        }

        Assert.True(
            result.Outcome == "SKIP" && result.Reason.Contains(limitation.Evidence, StringComparison.Ordinal),
            $"{testCase} is excluded for the {peer} client ({limitation.Reason}), so it must be reported as " +
            $"'SKIP {testCase}: ...{limitation.Evidence}...'; it was '{result.Outcome} {testCase}: {result.Reason}'.");
        return true;
    }

    /// <summary>The rest of client_compressed_unary: a gzip request with expect_compressed=true is accepted.</summary>
    private static async Task CompressedUnaryAsync(CallInvoker invoker)
    {
        var client = new TestService.TestServiceClient(invoker);
        var response = await client.UnaryCallAsync(
            new SimpleRequest { ExpectCompressed = new BoolValue { Value = true }, ResponseSize = 314159, Payload = Zeros(271828) },
            new CallOptions(compression: "gzip"));
        Assert.Equal(314159, response.Payload.Body.Length);
    }

    /// <summary>The rest of client_compressed_streaming: a compressed then an uncompressed message arrive whole.</summary>
    private static async Task CompressedThenPlainStreamAsync(CallInvoker invoker)
    {
        var client = new TestService.TestServiceClient(invoker);
        using var call = client.StreamingInputCall(new CallOptions(compression: "gzip"));
        await call.RequestStream.WriteAsync(new StreamingInputCallRequest { ExpectCompressed = new BoolValue { Value = true }, Payload = Zeros(27182) });
        call.RequestStream.WriteOptions = new WriteOptions(NoCompress: true);
        await call.RequestStream.WriteAsync(new StreamingInputCallRequest { ExpectCompressed = new BoolValue { Value = false }, Payload = Zeros(45904) });
        await call.RequestStream.CompleteAsync();
        Assert.Equal(73086, (await call).AggregatedPayloadSize);
    }

    private static Payload Zeros(int size) => new() { Body = ByteString.CopyFrom(new byte[size]) };

    /// <param name="Evidence">Text the peer client's SKIP reason, or Ferry client's error, must contain.</param>
    /// <param name="StillChecked">For the Ferry client: the part of the case the peer can express, run instead.</param>
    public sealed record Limitation(Peer Peer, Direction Direction, string Case, string Reason, string Evidence, Func<CallInvoker, Task>? StillChecked = null);
}
