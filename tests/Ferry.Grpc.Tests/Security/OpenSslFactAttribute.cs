namespace Ferry.Grpc.Tests.Security;

/// <summary>A fact that is skipped when the <c>openssl</c> command is not on the PATH.</summary>
internal sealed class OpenSslFactAttribute : FactAttribute
{
    public OpenSslFactAttribute()
    {
        if (OpenSsl.FindExecutable() is null)
        {
            Skip = "openssl is not on the PATH.";
        }
    }
}
