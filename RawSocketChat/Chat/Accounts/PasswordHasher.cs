using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace RawSocketChat.Chat.Accounts;

/// <summary>
/// Password storage: PBKDF2-HMAC-SHA256 with a random 16-byte salt per user and, by default, 600,000 iterations
/// (OWASP's 2023 advice for this function). The stored form names the algorithm and the iteration count —
/// <c>pbkdf2-sha256$600000$&lt;salt&gt;$&lt;hash&gt;</c>, base64 — so hashes made with another count (tests use
/// <c>--pbkdf2-iterations 1000</c>) still verify after the setting changes. Comparison is constant-time.
/// </summary>
public sealed class PasswordHasher(int iterations)
{
    private const string Scheme = "pbkdf2-sha256";
    private const int SaltBytes = 16;
    private const int HashBytes = 32;

    public int Iterations { get; } = iterations > 0 ? iterations : throw new ArgumentOutOfRangeException(nameof(iterations));

    public string Hash(string password)
    {
        byte[] salt = RandomNumberGenerator.GetBytes(SaltBytes);
        byte[] hash = Derive(password, salt, Iterations);
        return string.Create(CultureInfo.InvariantCulture, $"{Scheme}${Iterations}${Convert.ToBase64String(salt)}${Convert.ToBase64String(hash)}");
    }

    public static bool Verify(string password, string stored)
    {
        string[] parts = stored.Split('$');
        if (parts.Length != 4 || parts[0] != Scheme
            || !int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out int iterations) || iterations <= 0)
            return false;
        byte[] salt, expected;
        try
        {
            salt = Convert.FromBase64String(parts[2]);
            expected = Convert.FromBase64String(parts[3]);
        }
        catch (FormatException)
        {
            return false;
        }
        byte[] actual = Derive(password, salt, iterations, expected.Length);
        // Constant time: how long the comparison takes says nothing about how many leading bytes matched.
        return CryptographicOperations.FixedTimeEquals(actual, expected);
    }

    /// <summary>
    /// The work of one verification without a stored hash: done when the account does not exist, so that the
    /// answer time does not tell which names are registered.
    /// </summary>
    public void WasteEquivalentTime(string password) => Derive(password, new byte[SaltBytes], Iterations);

    private static byte[] Derive(string password, byte[] salt, int iterations, int length = HashBytes) =>
        Rfc2898DeriveBytes.Pbkdf2(Encoding.UTF8.GetBytes(password), salt, iterations, HashAlgorithmName.SHA256, length);
}
