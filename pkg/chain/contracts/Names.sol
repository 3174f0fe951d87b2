// SPDX-License-Identifier: UNLICENSED
pragma solidity 0.8.37;

/// @title Names
/// @notice mf-chat's directory (whitepaper, "Use Cases → Onyx messaging
/// app": a decentralized directory, as ENS is): the first account to claim
/// a name owns it, for good. The contract keeps only who owns which name;
/// the contact card behind a name lives in an mf-db network table, where a
/// reader checks it against the owner recorded here.
///
/// Names are 1 to 64 bytes of lower-case letters, digits, '.', '_' and
/// '-', starting with a letter or digit, so that one name cannot be
/// claimed again in another spelling.
contract Names {
    mapping(bytes32 => address) private owners;

    /// @notice A name was claimed.
    event Claimed(string name, address indexed owner);

    error BadName();
    error AlreadyClaimed(address owner);

    /// @notice Claims name for the caller; reverts if anyone claimed it,
    /// the caller included.
    function claim(string calldata name) external {
        if (!valid(bytes(name))) revert BadName();
        bytes32 k = keccak256(bytes(name));
        address o = owners[k];
        if (o != address(0)) revert AlreadyClaimed(o);
        owners[k] = msg.sender;
        emit Claimed(name, msg.sender);
    }

    /// @notice The owner of name, or the zero address if nobody claimed it.
    function ownerOf(string calldata name) external view returns (address) {
        return owners[keccak256(bytes(name))];
    }

    function valid(bytes memory b) internal pure returns (bool) {
        if (b.length == 0 || b.length > 64) return false;
        for (uint256 i = 0; i < b.length; i++) {
            bytes1 c = b[i];
            bool ok = (c >= 0x61 && c <= 0x7a) || (c >= 0x30 && c <= 0x39);
            if (!ok && i > 0) ok = c == 0x2e || c == 0x5f || c == 0x2d;
            if (!ok) return false;
        }
        return true;
    }
}
