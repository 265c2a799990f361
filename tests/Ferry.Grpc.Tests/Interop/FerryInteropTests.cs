using Ferry.Grpc.Testing;
using Ferry.Interop;

namespace Ferry.Grpc.Tests.Interop;

/// <summary>Ferry's interop client against Ferry's interop server, in process over real loopback HTTP/2.</summary>
public sealed class FerryInteropTests
{
    public static TheoryData<string> Cases => new(InteropClient.AllCases);

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task Plaintext(string testCase)
    {
        await using var server = await GrpcTestServer.StartAsync(s => s
            .AddService<TestServiceImpl>()
            .WithGrpcOptions(o => o.MaxReceiveMessageSize = 16 * 1024 * 1024));
        var client = new InteropClient(server.Channel.CreateCallInvoker());
        await client.RunCaseAsync(testCase).WaitAsync(TimeSpan.FromSeconds(30));
    }
}
