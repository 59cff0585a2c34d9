using System.Buffers.Text;
using System.Security.Cryptography;

namespace RawSocketChat.Chat.Accounts;

/// <summary>
/// Session tokens: 256 random bits, given to the client as 43 base64url characters. The server stores only their
/// SHA-256, so the database alone cannot be used to log in. (A fast hash is right here, unlike for passwords: the
/// token has 256 bits of entropy, there is nothing to brute-force.)
/// </summary>
public static class SessionTokens
{
    public const int TokenBytes = 32;
    public const int TokenLength = 43; // base64url of 32 bytes, without padding

    public static (string Token, byte[] Hash) Create()
    {
        byte[] raw = RandomNumberGenerator.GetBytes(TokenBytes);
        return (Base64Url.EncodeToString(raw), SHA256.HashData(raw));
    }

    /// <summary>The stored form of a token the client sent, or null when it is not a well-formed token.</summary>
    public static byte[]? HashOf(string token)
    {
        if (token.Length != TokenLength || !Base64Url.IsValid(token, out int decodedLength) || decodedLength != TokenBytes)
            return null;
        Span<byte> raw = stackalloc byte[TokenBytes];
        if (!Base64Url.TryDecodeFromChars(token, raw, out int written) || written != TokenBytes)
            return null;
        return SHA256.HashData(raw);
    }
}
