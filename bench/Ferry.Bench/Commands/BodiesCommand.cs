using System.CommandLine;
using Ferry.Bench.Bodies;

namespace Ferry.Bench.Commands;

/// <summary><c>bodies</c>: writes unary.bin, stream.bin, bidi.bin and expect.env for the h2load runs.</summary>
internal static class BodiesCommand
{
    public static Command Create()
    {
        var output = new Option<string>("--out") { Description = "Directory to write into.", Required = true };
        var payload = new Option<int>("--payload") { Description = "Payload bytes of the unary request and response.", DefaultValueFactory = _ => 100 };
        var messageSize = new Option<int>("--message-size") { Description = "Message payload of the stream and bidi bodies.", DefaultValueFactory = _ => 64 * 1024 };
        var streamMiB = new Option<int>("--stream-mib") { Description = "MiB the stream request asks for.", DefaultValueFactory = _ => 256 };
        var bidiMiB = new Option<int>("--bidi-mib") { Description = "MiB of messages in the bidi request body.", DefaultValueFactory = _ => 64 };
        var command = new Command("bodies", "Write gRPC-framed request bodies for h2load -d.") { output, payload, messageSize, streamMiB, bidiMiB };
        command.SetAction(parse =>
        {
            RequestBodies.Write(parse.GetValue(output)!, parse.GetValue(payload), parse.GetValue(messageSize), parse.GetValue(streamMiB) * 1024L * 1024, parse.GetValue(bidiMiB) * 1024L * 1024);
            return 0;
        });
        return command;
    }
}
