using System.Net;
using System.Security.Cryptography.X509Certificates;
using Ferry.Grpc;
using Ferry.Grpc.AspNetCore;
using Ferry.Grpc.AspNetCore.Hosting;
using Ferry.Grpc.Client;
using Ferry.Grpc.Security;
using HelloWorld;

// Usage: dotnet run --project examples/HelloWorld -- [demo|server|client] [--tls|--mtls] [--port N] [--certs DIR]
//   demo (default): start the server on a free port, call it with every kind of method, stop.
//   --tls: TLS with ALPN h2; --mtls: mutual TLS. Certificates come from --certs DIR (as written by
//   `./ferry certs --out DIR`) or, when absent, are made in memory for this run.
var mode = args.FirstOrDefault(a => !a.StartsWith("--", StringComparison.Ordinal)) ?? "demo";
var security = args.Contains("--mtls") ? "mtls" : args.Contains("--tls") ? "tls" : "plaintext";
var port = ArgValue("--port") is { } p ? int.Parse(p) : 0;
using var certificates = LoadCertificates(ArgValue("--certs"));

switch (mode)
{
    case "server":
        await using (var server = await StartServerAsync(port))
        {
            Console.WriteLine($"Greeter listening on {server.Urls.First()} ({security}); Ctrl+C to stop.");
            await server.WaitForShutdownAsync();
        }

        break;
    case "client":
        await RunClientAsync(port);
        break;
    default:
        await using (var server = await StartServerAsync(0))
        {
            var bound = new Uri(server.Urls.First()).Port;
            Console.WriteLine($"Greeter started on port {bound} ({security}).");
            await RunClientAsync(bound);
        }

        break;
}

async Task<WebApplication> StartServerAsync(int listenPort)
{
    var builder = WebApplication.CreateSlimBuilder();
    builder.Logging.SetMinimumLevel(LogLevel.Warning);
    builder.WebHost.ConfigureKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, listenPort, listen => listen.UseGrpc(security == "plaintext" ? null : new ServerTlsOptions
    {
        Certificate = certificates!.Server,
        ClientCertificateAuthorities = security == "mtls" ? [certificates.Ca] : null,
    })));
    builder.Services.AddFerryGrpc();
    var app = builder.Build();
    app.MapGrpcService<GreeterService>();

    // Ordinary HTTP endpoints live beside gRPC on the same port.
    app.MapGet("/", () => "The Greeter gRPC service is running here.");
    await app.StartAsync();
    return app;
}

async Task RunClientAsync(int serverPort)
{
    var scheme = security == "plaintext" ? "http" : "https";
    using var channel = GrpcChannel.ForAddress($"{scheme}://localhost:{serverPort}", new GrpcChannelOptions
    {
        Tls = security == "plaintext" ? null : new ClientTlsOptions
        {
            TrustedCertificates = [certificates!.Ca],
            ClientCertificate = security == "mtls" ? certificates.Client : null,
        },
    });
    var client = new Greeter.GreeterClient(channel);

    // Unary, with a deadline and metadata.
    var reply = await client.SayHelloAsync(new HelloRequest { Name = "World" }, new Metadata { { "x-example", "1" } }, DateTime.UtcNow.AddSeconds(5));
    Console.WriteLine($"unary:            {reply.Message}");

    // Server streaming: await foreach over the replies.
    using (var stream = client.SayHelloStream(new HelloRequest { Name = "World" }))
    {
        await foreach (var item in stream.ResponseStream.ReadAllAsync())
        {
            Console.WriteLine($"server streaming: {item.Message}");
        }
    }

    // Client streaming: write requests, complete, then await the one reply.
    using (var upload = client.SayHelloToMany())
    {
        foreach (var name in new[] { "Ada", "Grace", "Linus" })
        {
            await upload.RequestStream.WriteAsync(new HelloRequest { Name = name });
        }

        await upload.RequestStream.CompleteAsync();
        Console.WriteLine($"client streaming: {(await upload).Message}");
    }

    // Bidirectional streaming: each request answered as it arrives.
    using var chat = client.Chat();
    foreach (var name in new[] { "Alice", "Bob" })
    {
        await chat.RequestStream.WriteAsync(new HelloRequest { Name = name });
        await chat.ResponseStream.MoveNext(CancellationToken.None);
        Console.WriteLine($"bidi streaming:   {chat.ResponseStream.Current.Message}");
    }

    await chat.RequestStream.CompleteAsync();
    while (await chat.ResponseStream.MoveNext(CancellationToken.None))
    {
    }

    Console.WriteLine($"all four call kinds OK over {security}");
}

Certificates? LoadCertificates(string? directory)
{
    if (security == "plaintext")
    {
        return null;
    }

    if (directory is null)
    {
        var bundle = DevelopmentCertificates.Create(["localhost", "127.0.0.1"], TimeSpan.FromDays(1));
        return new Certificates(bundle.Ca, bundle.Server, bundle.Client);
    }

    string Path(string name) => System.IO.Path.Combine(directory, name);
    return new Certificates(
        PemCertificates.LoadCertificates(Path(CertificateBundle.CaFileName))[0],
        PemCertificates.LoadCertificateWithKey(Path(CertificateBundle.ServerFileName), Path(CertificateBundle.ServerKeyFileName)),
        PemCertificates.LoadCertificateWithKey(Path(CertificateBundle.ClientFileName), Path(CertificateBundle.ClientKeyFileName)));
}

string? ArgValue(string name)
{
    var index = Array.IndexOf(args, name);
    return index >= 0 && index + 1 < args.Length ? args[index + 1] : null;
}

/// <summary>The CA, the server's certificate and the client's, with their keys.</summary>
internal sealed record Certificates(X509Certificate2 Ca, X509Certificate2 Server, X509Certificate2 Client) : IDisposable
{
    public void Dispose()
    {
        Ca.Dispose();
        Server.Dispose();
        Client.Dispose();
    }
}
