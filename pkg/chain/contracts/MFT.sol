// SPDX-License-Identifier: UNLICENSED
pragma solidity 0.8.37;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";

/// @title Mainframe Token
/// @notice The ERC20 token mf nodes pay each other in. 18 decimals.
/// @dev The deployer is the only minter, for ever: on a development chain it
/// is the faucet; on a real network it mints the initial supply and may then
/// be a key nobody holds.
contract MFT is ERC20 {
    /// @notice The only address allowed to mint.
    address public immutable minter;

    constructor() ERC20("Mainframe Token", "MFT") {
        minter = msg.sender;
    }

    /// @notice Creates `amount` new tokens for `to`. Only the minter may call it.
    function mint(address to, uint256 amount) external {
        require(msg.sender == minter, "MFT: caller is not the minter");
        _mint(to, amount);
    }
}
