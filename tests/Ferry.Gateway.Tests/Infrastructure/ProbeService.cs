using Ferry.Grpc;
using Google.Protobuf;
using Microsoft.AspNetCore.Http;

namespace Ferry.Gateway.Tests.Infrastructure;

/// <summary>
/// A backend that says who it is and what it saw. Every reply carries the backend's name, the request headers as
/// they arrived (so the test sees what the gateway forwarded), the :authority and the deadline. Actions:
/// <list type="bullet">
/// <item><c>echo</c> (or empty): reply with the payload, or <c>size</c> zero bytes.</item>
/// <item><c>delay</c>: wait <c>delay_ms</c>, then echo (a slow backend).</item>
/// <item><c>hold</c>: register a <see cref="HeldCall"/> and wait for the test to release it or for cancellation.</item>
/// <item><c>status</c>: end with <c>code</c>/<c>message</c>; a non-empty <c>payload</c> goes out as grpc-status-details-bin.</item>
/// <item><c>metadata</c>: echo the <c>x-test-*</c> request metadata as response headers and as trailers.</item>
/// <item><c>headers-then-hold</c>: send response headers (x-initial), then hold.</item>
/// <item><c>headers-then-status</c>: send response headers (x-initial), then end with <c>code</c>/<c>message</c> and no message.</item>
/// <item><c>many</c> (server streaming): <c>count</c> replies of <c>size</c> bytes.</item>
/// <item><c>flood</c> (server streaming): like many, counting writes and reporting a write that blocks.</item>
/// <item>Duplex with an <c>x-speak-first</c> request header: a reply carrying its value before any message is read.</item>
/// </list>
/// Duplex echoes each request message with its action; client streaming replies once the request stream ends.
/// </summary>
public sealed class ProbeService(BackendProbe probe) : Probe.ProbeBase
{
    /// <summary>A flood write pending this long means the stream is held back by flow control.</summary>
    private static readonly TimeSpan BlockThreshold = TimeSpan.FromMilliseconds(500);

    public override Task<ProbeReply> Unary(ProbeRequest request, ServerCallContext context)
    {
        probe.CountCall();
        return RespondAsync(request, context);
    }

    public override async Task ServerStream(ProbeRequest request, IServerStreamWriter<ProbeReply> responseStream, ServerCallContext context)
    {
        probe.CountCall();
        switch (request.Action)
        {
            case "many":
                for (var i = 0; i < request.Count; i++)
                {
                    await responseStream.WriteAsync(Reply(context, i, request.Size));
                }

                break;
            case "flood":
                await FloodAsync(request, responseStream, context);
                break;
            default:
                await responseStream.WriteAsync(await RespondAsync(request, context));
                break;
        }
    }

    public override async Task<ProbeReply> ClientStream(IAsyncStreamReader<ProbeRequest> requestStream, ServerCallContext context)
    {
        probe.CountCall();
        var count = 0;
        long bytes = 0;
        while (await requestStream.MoveNext(context.CancellationToken))
        {
            count++;
            bytes += requestStream.Current.Payload.Length;
            if (requestStream.Current.Action is "hold" or "status")
            {
                return await RespondAsync(requestStream.Current, context);
            }
        }

        var reply = Reply(context, count, 0);
        reply.Text = bytes.ToString(System.Globalization.CultureInfo.InvariantCulture);
        return reply;
    }

    public override async Task Duplex(IAsyncStreamReader<ProbeRequest> requestStream, IServerStreamWriter<ProbeReply> responseStream, ServerCallContext context)
    {
        probe.CountCall();
        if (context.RequestHeaders.GetValue("x-speak-first") is { } greeting)
        {
            // A server that speaks first: its reply must not wait for the client's first message.
            await responseStream.WriteAsync(new ProbeReply { Backend = probe.Name, Text = greeting });
        }

        while (await requestStream.MoveNext(context.CancellationToken))
        {
            await responseStream.WriteAsync(await RespondAsync(requestStream.Current, context));
        }
    }

    private async Task<ProbeReply> RespondAsync(ProbeRequest request, ServerCallContext context)
    {
        switch (request.Action)
        {
            case "" or "echo":
                if (probe.ResponseDelay > TimeSpan.Zero)
                {
                    await Task.Delay(probe.ResponseDelay, context.CancellationToken);
                }

                return Echo(request, context);
            case "delay":
                await Task.Delay(request.DelayMs, context.CancellationToken);
                return Echo(request, context);
            case "hold":
                await HoldAsync(context);
                return Echo(request, context);
            case "headers-then-hold":
                await context.WriteResponseHeadersAsync(new Metadata { { "x-initial", "before-any-message" } });
                await HoldAsync(context);
                return Echo(request, context);
            case "metadata":
                var echoed = new Metadata();
                foreach (var entry in context.RequestHeaders)
                {
                    if (entry.Key.StartsWith("x-test-", StringComparison.Ordinal))
                    {
                        echoed.Add(entry);
                        context.ResponseTrailers.Add(entry);
                    }
                }

                await context.WriteResponseHeadersAsync(echoed);
                return Echo(request, context);
            case "headers-then-status":
                await context.WriteResponseHeadersAsync(new Metadata { { "x-initial", "before-the-error" } });
                throw new RpcException(new Status((StatusCode)request.Code, request.Message));
            case "status":
                var trailers = new Metadata();
                if (!request.Payload.IsEmpty)
                {
                    trailers.Add("grpc-status-details-bin", request.Payload.ToByteArray());
                }

                throw new RpcException(new Status((StatusCode)request.Code, request.Message), trailers);
            default:
                throw new RpcException(new Status(StatusCode.InvalidArgument, $"Unknown action '{request.Action}'."));
        }
    }

    private async Task HoldAsync(ServerCallContext context)
    {
        var held = new HeldCall(context);
        var cancelled = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using (context.CancellationToken.Register(() => cancelled.TrySetResult()))
        {
            probe.Hold(held);
            await Task.WhenAny(cancelled.Task, held.Release.Task).WaitAsync(TestTimeouts.Handler);
        }

        if (context.CancellationToken.IsCancellationRequested)
        {
            held.Cancelled.TrySetResult(DateTime.UtcNow);
            context.CancellationToken.ThrowIfCancellationRequested();
        }
    }

    private async Task FloodAsync(ProbeRequest request, IServerStreamWriter<ProbeReply> responseStream, ServerCallContext context)
    {
        probe.ResetWrites();
        var payload = ByteString.CopyFrom(new byte[request.Size]);
        for (var i = 0; i < request.Count; i++)
        {
            var write = responseStream.WriteAsync(new ProbeReply { Backend = probe.Name, Sequence = i, Payload = payload });
            if (!write.IsCompleted)
            {
                try
                {
                    await write.WaitAsync(BlockThreshold);
                }
                catch (TimeoutException)
                {
                    probe.WritesBlocked.TrySetResult(probe.MessagesWritten);
                    await write.WaitAsync(TestTimeouts.Handler);
                }
            }

            await write;
            probe.CountWrite();
        }
    }

    private ProbeReply Echo(ProbeRequest request, ServerCallContext context)
    {
        var reply = Reply(context, request.Sequence, request.Size);
        if (request.Size == 0)
        {
            reply.Payload = request.Payload;
        }

        return reply;
    }

    private ProbeReply Reply(ServerCallContext context, int sequence, int size)
    {
        var reply = new ProbeReply
        {
            Backend = probe.Name,
            Sequence = sequence,
            Payload = size > 0 ? ByteString.CopyFrom(new byte[size]) : ByteString.Empty,
            Authority = context.Host,
            DeadlineUnixMs = context.Deadline == DateTime.MaxValue ? 0 : new DateTimeOffset(DateTime.SpecifyKind(context.Deadline, DateTimeKind.Utc)).ToUnixTimeMilliseconds(),
        };
        if (context.HostContext is HttpContext http)
        {
            foreach (var (name, values) in http.Request.Headers)
            {
                reply.RequestHeaders[name.ToLowerInvariant()] = values.ToString();
            }
        }

        return reply;
    }
}
